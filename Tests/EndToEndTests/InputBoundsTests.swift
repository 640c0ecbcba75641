import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 9, findings 14 and 15: sequences, health headers and text lengths are bounded.
@Suite("Input bounds: device sequences, health headers, UTF-8 lengths")
struct InputBoundsTests {
    func createBody(sequence: Int64, youngPerson: UUID, fields: String = #"{"kind":"CLA_STATUTORY"}"#) -> Data {
        Data(
            """
            {"id":"\(UUID().uuidString)","deviceSequence":\(sequence),"madeAt":"2026-11-22T10:00:00Z",
             "operations":[{"op":"create","record":"\(UUID().uuidString)","kind":"visit","youngPerson":"\(youngPerson.uuidString)","fields":\(fields)}]}
            """.utf8)
    }

    @Test("deviceSequence 2^63-1, 2^53, or a jump of more than a million is refused sequence_out_of_range and jams nothing")
    func sequenceBounds() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        for sequence: Int64 in [Int64.max, Int64(1) << 53, 1_000_001 + 1] {
            let answer = try await wire.send("POST", "/v1/changesets", body: createBody(sequence: sequence, youngPerson: world.youngPerson))
            #expect(answer.status == 400, "\(sequence): \(answer.text)")
            #expect(answer.error?.code == "sequence_out_of_range")
            #expect((answer.error?.message.count ?? 0) > 40)
        }
        // The device goes on from 1, then 2 (none of the refused numbers was kept).
        for sequence: Int64 in [1, 2] {
            let answer = try await wire.send("POST", "/v1/changesets", body: createBody(sequence: sequence, youngPerson: world.youngPerson))
            #expect(answer.status == 200, "\(answer.text)")
        }
        let jump = try await wire.send("POST", "/v1/changesets", body: createBody(sequence: 2 + 1_000_001, youngPerson: world.youngPerson))
        #expect(jump.error?.code == "sequence_out_of_range")
        let next = try await wire.send("POST", "/v1/changesets", body: createBody(sequence: 3, youngPerson: world.youngPerson))
        #expect(next.status == 200, "\(next.text)")
        #expect(try await wire.pullAll().count == 3)
    }

    @Test("Malformed health headers are not stored, the request goes on, and the answer says which were ignored")
    func healthHeaders() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        var request = URLRequest(url: URL(string: world.server.url + "/v1/changesets")!)
        request.httpMethod = "POST"
        request.httpBody = createBody(sequence: 1, youngPerson: world.youngPerson)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("1", forHTTPHeaderField: WireProtocol.versionHeader)
        request.setValue("Bearer \(wire.token ?? "")", forHTTPHeaderField: "Authorization")
        request.setValue("-5", forHTTPHeaderField: WireProtocol.unsentHeader)
        request.setValue("99999999999999", forHTTPHeaderField: WireProtocol.oldestUnsentHeader)
        let longName = String(repeating: "n", count: 8_000)
        request.setValue(longName, forHTTPHeaderField: WireProtocol.clientHeader)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        let warning = http.value(forHTTPHeaderField: "FieldSync-Warning") ?? ""
        #expect(warning.contains("FieldSync-Unsent ignored"), "\(warning)")
        #expect(warning.contains("FieldSync-Oldest-Unsent-Seconds ignored"))
        #expect(warning.contains("FieldSync-Client ignored"))

        let list = try world.admin(["device", "list", "--json"])
        struct Info: Decodable {
            let user: String
            let client: String?
            let unsent: Int?
            let oldestUnsentSeconds: Int?
        }
        let alice = try #require(try JSONDecoder().decode([Info].self, from: Data(list.stdout.utf8)).first { $0.user == "alice" })
        #expect(alice.unsent == nil)
        #expect(alice.oldestUnsentSeconds == nil)
        #expect(alice.client != longName)
        #expect((alice.client?.count ?? 0) <= WireProtocol.maxClientNameLength)
    }

    @Test("A letter with a million combining accents (2 MB) does not pass a 2,000-character limit; 2,000 two-byte letters do")
    func utf8Bytes() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let stacked = "a" + String(repeating: "\u{301}", count: 1_000_000)
        #expect(stacked.count == 1, "one grapheme cluster")
        let refused = try await wire.send(
            "POST", "/v1/changesets", body: createBody(sequence: 1, youngPerson: world.youngPerson, fields: #"{"purpose":"\#(stacked)"}"#))
        #expect(refused.status == 400, "\(refused.text.prefix(300))")
        #expect(refused.error?.code == "invalid_value")
        #expect(refused.error?.message.contains("bytes") == true, "\(refused.error?.message ?? "")")
        #expect(try await wire.pullAll().isEmpty)

        let accented = String(repeating: "\u{E9}", count: 2_000)
        let accepted = try await wire.send(
            "POST", "/v1/changesets", body: createBody(sequence: 1, youngPerson: world.youngPerson, fields: #"{"purpose":"\#(accented)"}"#))
        #expect(accepted.status == 200, "\(accepted.text.prefix(300))")
        #expect(try await wire.pullAll().first?.fields["purpose"] == .string(accented))
    }
}
