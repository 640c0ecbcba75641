import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// `POST /v1/changesets/batch` (protocol section 5): several change sets in one request, each
/// applied as if sent alone: in order, exactly once, its refusal in its own entry.
@Suite("Pushing change sets in batches")
struct BatchPushTests {
    static func create(_ sequence: Int64, _ youngPerson: UUID, purpose: String) -> ChangeSet {
        ChangeSet(
            deviceSequence: sequence,
            operations: [.create(UUID(), kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string(purpose)])])
    }

    static func batch(_ changeSets: [ChangeSet]) throws -> Data {
        try WireProtocol.makeEncoder().encode(ChangeSetBatch(changeSets: changeSets))
    }

    @Test("In order and once each; a change set refused for itself is answered in its entry; a resent batch answers as replays")
    func batchIsAppliedLikeSinglePushes() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let first = Self.create(1, world.youngPerson, purpose: "First")
        // An unknown field: refused for its content, as it would be alone.
        let bad = ChangeSet(
            deviceSequence: 2, operations: [.create(UUID(), kind: .visit, youngPerson: world.youngPerson, fields: ["noSuchField": "x"])])
        let third = Self.create(3, world.youngPerson, purpose: "Third")
        let body = try Self.batch([first, bad, third])
        let answer = try await wire.send("POST", "/v1/changesets/batch", body: body)
        #expect(answer.status == 200, "\(answer.text)")
        let results = try JSONDecoder().decode(ChangeSetBatchResult.self, from: answer.body).results
        #expect(results.map(\.changeSet) == [first.id, bad.id, third.id], "one entry per change set, in order")
        #expect(results[0].result?.verdicts.first?.outcome == .applied && results[2].result?.verdicts.first?.outcome == .applied)
        #expect(results[1].result == nil && results[1].status == 400 && results[1].error?.code == "unknown_field", "\(results[1])")
        #expect(Set(try await wire.pullAll().map { $0.fields["purpose"] }) == [.string("First"), .string("Third")])

        // The same batch again (its answer lost): replays, nothing applied twice.
        let again = try JSONDecoder().decode(
            ChangeSetBatchResult.self, from: try await wire.send("POST", "/v1/changesets/batch", body: body).body
        ).results
        #expect(again[0].result?.replayed == true && again[2].result?.replayed == true)
        #expect(try await wire.pullAll().count == 2)
        // Order is the device's: a later single push with a used number is out of order.
        let stale = try await wire.push(Self.create(3, world.youngPerson, purpose: "Reused number"))
        #expect(stale.error?.code == "out_of_order")
    }

    @Test("A batch that is not one is refused with a sentence and changes nothing")
    func badBatchesAreRefused() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let tooMany = (1...Int64(ChangeSetBatch.maxChangeSets + 1)).map { Self.create($0, world.youngPerson, purpose: "n\($0)") }
        for (body, code) in [
            (try Self.batch([]), "invalid_value"), (try Self.batch(tooMany), "invalid_value"), (Data("[1,2]".utf8), "wrong_type"),
            (Data("{\"changeSets\":".utf8), "malformed_json"),
        ] {
            let answer = try await wire.send("POST", "/v1/changesets/batch", body: body)
            #expect(answer.status == 400 && answer.error?.code == code && !(answer.error?.message ?? "").isEmpty, "\(answer.text)")
        }
        var stranger = wire
        stranger.token = "not-a-token"
        #expect(try await stranger.send("POST", "/v1/changesets/batch", body: try Self.batch([tooMany[0]])).status == 401)
        #expect(try await wire.pullAll().isEmpty, "nothing was applied")
    }

    @Test("A device sends a long outbox in batches: everything once, in order, verdicts kept")
    func deviceSyncUsesBatches() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let count = ChangeSetBatch.maxChangeSets + 7
        for n in 0..<count { _ = try alice.newVisit(["purpose=Visit \(n)"]) }
        let report = try alice.sync()
        #expect(report.sent == count && report.applied == count && report.unsent == 0, "\(report)")
        #expect(world.server.log.contains("/v1/changesets/batch"), "the access log shows the batch route")
        #expect(try alice.list().count == count)
    }
}
