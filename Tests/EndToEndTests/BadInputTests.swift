import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Bad input is refused clearly and changes nothing")
struct BadInputTests {
    /// Sends `body` as a change set and checks the refusal's status and code, then that nothing
    /// was stored and the server still serves.
    func expectRefused(
        _ wire: WireClient, body: Data, status: Int, code: String, reader: WireClient,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let answer = try await wire.send("POST", "/v1/changesets", body: body)
        #expect(answer.status == status, "\(answer.text)", sourceLocation: sourceLocation)
        let error = try #require(answer.error, "no error body in: \(answer.text)", sourceLocation: sourceLocation)
        #expect(error.code == code, sourceLocation: sourceLocation)
        #expect(error.message.count > 20, "a sentence a person can act on: \(error.message)", sourceLocation: sourceLocation)
        #expect(try await reader.pullAll().isEmpty, "nothing stored", sourceLocation: sourceLocation)
        let health = try await wire.send("GET", "/healthz")
        #expect(health.status == 200, sourceLocation: sourceLocation)
    }

    /// A create for `youngPerson`: give the world's young person, whom the reader may see, so that
    /// "nothing stored" would catch a refused body that was stored all the same.
    func createBody(fields: String = #"{"kind":"CLA_STATUTORY"}"#, sequence: String = "1", youngPerson: UUID) -> Data {
        Data(
            """
            {"id":"\(UUID().uuidString)","deviceSequence":\(sequence),"madeAt":"2026-11-22T10:00:00Z",
             "operations":[{"op":"create","record":"\(UUID().uuidString)","kind":"visit","youngPerson":"\(youngPerson.uuidString)","fields":\(fields)}]}
            """.utf8)
    }

    @Test("Malformed JSON, wrong types, unknown fields, bad values, a bad token, an unknown protocol version, an oversized body")
    func refusals() async throws {
        let world = try TestWorld(serverArguments: ["--max-body-bytes", "65536"])
        let wire = try await WireClient.enrolled(world, user: "alice")
        let reader = try await WireClient.enrolled(world, user: "reader")
        let yp = world.youngPerson  // the reader's: whatever were stored for it, the reader would pull

        try await expectRefused(wire, body: Data("{\"id\": ".utf8), status: 400, code: "malformed_json", reader: reader)
        try await expectRefused(
            wire, body: createBody(sequence: "\"one\"", youngPerson: yp), status: 400, code: "wrong_type", reader: reader)
        try await expectRefused(
            wire, body: createBody(fields: #"{"favouriteColour":"blue"}"#, youngPerson: yp), status: 400, code: "unknown_field",
            reader: reader)
        try await expectRefused(
            wire, body: createBody(fields: #"{"childSeen":"perhaps"}"#, youngPerson: yp), status: 400, code: "wrong_type", reader: reader)
        try await expectRefused(
            wire, body: createBody(fields: #"{"contactMode":"CARRIER_PIGEON"}"#, youngPerson: yp), status: 400, code: "invalid_value",
            reader: reader)
        try await expectRefused(
            wire, body: createBody(fields: #"{"nextVisitDue":"2026-02-30"}"#, youngPerson: yp), status: 400, code: "invalid_value",
            reader: reader)
        let huge = String(repeating: "x", count: 90_000)
        try await expectRefused(
            wire, body: createBody(fields: "{\"childViews\":\"\(huge)\"}", youngPerson: yp), status: 413, code: "body_too_large",
            reader: reader)

        var forged = wire
        forged.token = "forged-token"
        try await expectRefused(forged, body: createBody(youngPerson: yp), status: 401, code: "unauthenticated", reader: reader)
        var anonymous = wire
        anonymous.token = nil
        try await expectRefused(anonymous, body: createBody(youngPerson: yp), status: 401, code: "unauthenticated", reader: reader)

        var future = wire
        future.protocolVersion = "99"
        let answer = try await future.send("POST", "/v1/changesets", body: createBody(youngPerson: yp))
        #expect(answer.status == 400)
        #expect(answer.error?.code == "unsupported_protocol_version")
        #expect(answer.error?.supportedVersions == WireProtocol.supportedVersions)
        #expect(answer.error?.message.contains("1") == true)
        try await expectRefused(
            future, body: createBody(youngPerson: yp), status: 400, code: "unsupported_protocol_version", reader: reader)

        let badCursor = try await wire.send("GET", "/v1/changes?after=nonsense")
        #expect(badCursor.status == 400 && badCursor.error?.code == "bad_cursor")
        let unknown = try await wire.send("GET", "/v1/nowhere")
        #expect(unknown.status == 404 && unknown.error?.code == "not_found")

        // After all that, a good change set still goes through.
        let good = try await wire.send("POST", "/v1/changesets", body: createBody(youngPerson: yp))
        #expect(good.status == 200, "\(good.text)")
        #expect(try JSONDecoder().decode(ChangeSetResult.self, from: good.body).verdicts.first?.outcome == .applied)
        #expect(try await reader.pullAll().count == 1)
    }

    @Test("The CLI refuses an unknown field or a wrong value before anything is queued")
    func cliRefusesLocally() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit()
        let unknown = try alice.run(["set", id.uuidString, "favouriteColour=blue"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown_field"))
        let wrong = try alice.run(["set", id.uuidString, "childSeen=perhaps", "--json"])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("\"code\" : \"bad_value\""))
        #expect(try alice.status().unsent == 1, "only the create is queued")
        let enrolAgain = try alice.run(["enrol", "--server", world.server.url, "--code", "NOPE-NOPE-NOPE"])
        #expect(enrolAgain.status == 1)
        let badCode = try Device(
            store: world.root.appendingPathComponent("fresh.sqlite").path, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson
        )
        .run(["enrol", "--server", world.server.url, "--code", "NOPE-NOPE-NOPE"])
        #expect(badCode.status == 1)
        #expect(badCode.stderr.contains("bad_enrolment_code"))
        let badURL = try Device(
            store: world.root.appendingPathComponent("fresh2.sqlite").path, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson
        )
        .run(["enrol", "--server", "not-a-url", "--code", "X"])
        #expect(badURL.stderr.contains("invalid_server_url"))
    }
}
