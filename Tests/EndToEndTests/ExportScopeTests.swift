import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 9, finding 5: the export's device-health lines go to a team's own managers only.
@Suite("Export scope: unsent-device lines for a team's own managers only")
struct ExportScopeTests {
    /// The export's lines, as JSON objects.
    static func export(_ client: WireClient, query: String = "") async throws -> [[String: JSONValue]] {
        let answer = try await client.send("GET", "/v1/export\(query)")
        guard answer.status == 200 else { throw WorldError("export failed (\(answer.status)): \(answer.text)") }
        return try answer.text.split(separator: "\n").map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
    }

    static func unsentLines(_ lines: [[String: JSONValue]]) -> [[String: JSONValue]] {
        lines.filter { $0["type"] == .string("unsentOnDevice") }
    }

    static func enrolled(_ world: TestWorld, _ user: String, role: String, team: String) async throws -> WireClient {
        try world.addUser(user, role: role, team: team)
        return try await WireClient.enrolled(world, user: user, allocate: false)
    }

    @Test("Advisers, teachers, the Virtual School, admins and other teams' managers get no device lines for a team; its own manager does")
    func unsentLinesOnlyForOwnManagers() async throws {
        let world = try TestWorld()
        let north = try await Self.enrolled(world, "alice", role: "PA", team: "north")
        try world.allocate(world.youngPerson, to: "alice")
        // Alice's device reports three change sets waiting to be sent.
        var request = URLRequest(url: URL(string: world.server.url + "/v1/changes")!)
        request.setValue(String(WireProtocol.version), forHTTPHeaderField: WireProtocol.versionHeader)
        request.setValue("Bearer \(north.token!)", forHTTPHeaderField: "Authorization")
        request.setValue("3", forHTTPHeaderField: WireProtocol.unsentHeader)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)

        let manager = try await Self.enrolled(world, "maria", role: "TM", team: "north")
        let own = Self.unsentLines(try await Self.export(manager))
        #expect(own.count == 1 && own.first?["user"] == .string("alice"), "the team's own manager sees the team's device")
        #expect(Self.unsentLines(try await Self.export(manager, query: "?team=north")).count == 1)

        let outsiders = [
            try await Self.enrolled(world, "omar", role: "TM", team: "south"),
            try await Self.enrolled(world, "dora", role: "DT", team: "north"),
            try await Self.enrolled(world, "vera", role: "VSO", team: "virtual-school"),
            try await Self.enrolled(world, "sam", role: "SYSADMIN", team: "north"),
            north,
        ]
        for client in outsiders {
            for query in ["?team=north", ""] {
                let lines = try await Self.export(client, query: query)
                #expect(Self.unsentLines(lines).isEmpty, "\(query): \(lines)")
                #expect(lines.last?["type"] == .string("end"), "the export still ends properly")
            }
        }
        // The manager of another team asking for north's export gets none of north's records either.
        let south = try await Self.export(try await Self.enrolled(world, "olga", role: "TM", team: "south"), query: "?team=north")
        #expect(south.filter { $0["type"] != .string("end") }.isEmpty)
    }
}
