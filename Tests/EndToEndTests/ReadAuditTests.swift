import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 9, finding 6 (reads): every read of case content is in the audit trail, and an export
/// is audited when it starts, not only when its last line is sent.
@Suite("Reads are audited: history, compliance, device lists, exports started and finished")
struct ReadAuditTests {
    /// Every read waits for its entry, so the trail can be read back at once (the default,
    /// `deferred`, can answer a read while pushes commit and write its entry just after).
    static let strictAudit = ["--read-audit", "strict"]

    struct Entry: Decodable {
        let action: String
        let actor: String
        let record: String?
        let youngPerson: String?
        let detail: String
    }

    static func audit(_ world: TestWorld) throws -> [Entry] {
        let out = try world.admin(["audit", "--json"])
        guard out.succeeded else { throw WorldError("admin audit failed: \(out.stderr)") }
        return try JSONDecoder().decode([Entry].self, from: Data(out.stdout.utf8))
    }

    @Test("History reads, compliance reports and a manager's device list each leave an entry naming who read what")
    func readsAreAudited() async throws {
        let world = try TestWorld(serverArguments: Self.strictAudit)
        let alice = try world.device("alice")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let id = try alice.newVisit(["purpose=Read later"])
        try alice.sync()
        try manager.sync()

        #expect(try alice.run(["history", id.uuidString]).succeeded)
        #expect(try manager.run(["report", "compliance"]).succeeded)
        let wire = try await WireClient.enrolled(world, user: "maria", allocate: false)
        #expect(try await wire.send("GET", "/v1/devices").status == 200)
        // A refused read is not a read of content: an adviser's device list is refused, and changes nothing.
        let adviser = try await WireClient.enrolled(world, user: "alice", allocate: false)
        #expect(try await adviser.send("GET", "/v1/devices").status == 403)

        let entries = try Self.audit(world)
        let history = entries.filter { $0.action == "HISTORY_READ" }
        #expect(history.count == 1)
        #expect(history.first?.actor == "alice" && history.first?.record == id.uuidString.lowercased())
        #expect(history.first?.youngPerson == world.youngPerson.uuidString.lowercased())
        #expect(entries.contains { $0.action == "COMPLIANCE_REPORT" && $0.actor == "maria" })
        let lists = entries.filter { $0.action == "DEVICE_LIST" }
        #expect(lists.count == 1 && lists.first?.actor == "maria" && lists.first?.detail.contains("team=north") == true)
        #expect(entries.contains { $0.action == "SYNC_DOWNLOAD" && $0.actor == "maria" })
        #expect(try world.admin(["audit", "--verify"]).succeeded, "the chain holds with the read entries in it")
    }

    @Test("An export is audited when it starts and when it ends; one cut off part-way still leaves its start entry")
    func exportsAreAuditedFromTheStart() async throws {
        let world = try TestWorld(serverArguments: Self.strictAudit)
        let alice = try world.device("alice")
        for n in 0..<3 { _ = try alice.newVisit(["purpose=Export \(n)"]) }
        try alice.sync()
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let out = world.root.appendingPathComponent("export.ndjson").path
        #expect(try manager.run(["export", "--reconciled", "--format", "ndjson", "--out", out]).succeeded)
        let whole = try Self.audit(world)
        #expect(whole.filter { $0.action == "EXPORT_STARTED" && $0.actor == "maria" }.count == 1)
        #expect(whole.contains { $0.action == "EXPORT" && $0.actor == "maria" && $0.detail.contains("notReconciled=3") })

        // A reporting tool that reads the first bytes and hangs up.
        let wire = try await WireClient.enrolled(world, user: "maria", allocate: false)
        let first = try Self.firstBytes(port: world.server.port, path: "/v1/export", token: wire.token!)
        #expect(first.hasPrefix("HTTP/1.1 200"), "\(first)")
        let started = try Self.audit(world).filter { $0.action == "EXPORT_STARTED" }
        #expect(started.count == 2, "the cut-off export was audited before its first line was sent")
        #expect(try world.admin(["audit", "--verify"]).succeeded)
    }

    /// Sends a GET on a raw loopback socket, reads one chunk of the answer and closes the socket.
    static func firstBytes(port: Int, path: String, token: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WorldError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw WorldError("connect failed") }
        let request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(WireProtocol.versionHeader): \(WireProtocol.version)\r\nAuthorization: Bearer \(token)\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}
