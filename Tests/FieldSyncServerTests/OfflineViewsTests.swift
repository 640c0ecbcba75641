import FieldSyncProtocol
import Foundation
import GRDB
import Testing

@testable import FieldSyncClient
@testable import FieldSyncServer

/// The exactly-once rule for views uploaded by devices (``OfflineViews``), through the writer.
@Suite("Uploaded views: each sequence stored once per device, in order")
struct OfflineViewsTests {
    func entry(_ sequence: Int64, _ records: [ViewedRecord], kind: ViewKind = .list) -> DeviceViewEntry {
        DeviceViewEntry(sequence: sequence, at: "2026-12-01T10:00:0\(sequence % 10).000Z", kind: kind, records: records)
    }

    func store(_ harness: ServerHarness, _ entries: [DeviceViewEntry], by device: AuthenticatedDevice) async throws -> Int64? {
        try await harness.writer.commit([.offlineViews(entries, device: device)]).first ?? nil
    }

    func views(_ harness: ServerHarness) async throws -> [AuditEntry] {
        try await harness.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE action = 'OFFLINE_VIEW' ORDER BY id").map(AuditLog.entry)
        }
    }

    @Test("Repeats and overlapping uploads store nothing twice; uploads of two devices at once keep each device's order")
    func exactlyOnce() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        let bob = try harness.device("bob")
        let record = ViewedRecord(id: UUID(), youngPerson: harness.youngPerson)
        #expect(try await store(harness, [entry(1, [record]), entry(2, [record])], by: alice) == 2)
        #expect(try await store(harness, [entry(1, [record]), entry(2, [record])], by: alice) == 2, "a repeat answers the same")
        #expect(try await store(harness, [entry(2, [record]), entry(3, [record])], by: alice) == 3)
        // The same upload delivered twice at once, and another device's, in one group.
        async let first = store(harness, [entry(4, [record]), entry(5, [record])], by: alice)
        async let second = store(harness, [entry(4, [record]), entry(5, [record])], by: alice)
        async let other = store(harness, [entry(1, [record])], by: bob)
        let answers = try await [first, second, other]
        #expect(answers == [5, 5, 1])
        let stored = try await views(harness)
        let aliceSequences = stored.filter { $0.actor == "alice" }.compactMap { OfflineViewDetail(text: $0.detail)?.sequence }
        #expect(aliceSequences == [1, 2, 3, 4, 5])
        #expect(stored.filter { $0.actor == "bob" }.count == 1)
        #expect(try await harness.database.pool.read { db in try AuditLog.verify(in: db).broken } == nil)
    }

    @Test("One entry per young person shown, the server's young person for a record it holds; the detail reads back as written")
    func entriesByYoungPerson() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        let held = UUID()
        try await harness.push(alice, [.create(held, kind: .visit, youngPerson: harness.youngPerson, fields: ["purpose": "Held"])])
        let other = UUID()
        let shown = [
            ViewedRecord(id: held, youngPerson: nil), ViewedRecord(id: UUID(), youngPerson: other),
            ViewedRecord(id: UUID(), youngPerson: harness.youngPerson),
        ]
        var export = entry(1, shown, kind: .export)
        export.destination = "file"
        #expect(try await store(harness, [export], by: alice) == 1)
        let stored = try await views(harness)
        #expect(stored.map(\.youngPerson) == [harness.youngPerson, other].map { $0.uuidString.lowercased() })
        #expect(stored[1].record == shown[1].id.uuidString.lowercased() && stored[0].record == nil)
        let detail = try #require(OfflineViewDetail(text: stored[0].detail))
        #expect(detail.records == [shown[0], shown[2]].map { $0.id.uuidString.lowercased() })
        #expect(detail.view == .export && detail.destination == "file" && detail.deviceAt == export.at && detail.missing == nil)
        #expect(OfflineViewDetail(text: detail.text) == detail)
        #expect(OfflineViews.annotated(stored[0]).offline == true && OfflineViews.annotated(stored[0]).deviceAt == export.at)
    }

    @Test("A sequence far past the last stored is refused and stores nothing")
    func farJump() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        let record = ViewedRecord(id: UUID(), youngPerson: harness.youngPerson)
        await #expect(throws: APIError.self) {
            _ = try await store(harness, [entry(WireProtocol.maxSequenceGap + 2, [record])], by: alice)
        }
        #expect(try await views(harness).isEmpty)
        #expect(try await store(harness, [entry(1, [record])], by: alice) == 1)
    }
}

/// The client library's view log (``FieldSyncClient/ViewLog``) feeding the server's store in
/// process: a large view split into entries, batches bounded in records, every record stored once.
@Suite("The device's view log, split and batched, lands whole on the server")
struct ViewLogBatchingTests {
    @Test("Views of 1,000 records are logged as entries of 200 and uploaded in batches of at most 2,000 records, each sequence once")
    func largeViews() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        let folder = harness.directory.appendingPathComponent("device")
        let device = try FieldSyncDevice(
            storePath: folder.appendingPathComponent("store.sqlite").path,
            keyFile: StoreKeyFile(path: folder.appendingPathComponent("store.key").path))
        let youngPeople = (0..<4).map { _ in UUID() }
        var shown: [ViewedRecord] = []
        for n in 0..<3 {
            let records = (0..<1_000).map { i in ViewedRecord(id: UUID(), youngPerson: youngPeople[(i + n) % youngPeople.count]) }
            try device.logView(.export, records, destination: "file")
            shown += records
        }
        #expect(try device.unsentViews() == 15, "each view of 1,000 records is 5 entries of 200")

        var uploads = 0
        // Bounded: the log shrinks by at least one entry an upload.
        for _ in 0..<15 {
            let batch = try device.nextViewBatch()
            guard let last = batch.entries.last else { break }
            #expect(batch.entries.reduce(0) { $0 + $1.records.count } <= DeviceViews.maxRecordsPerUpload)
            #expect(batch.body.count <= DeviceViews.targetUploadBytes)
            try OfflineViews.check(try WireProtocol.makeDecoder().decode(DeviceViewUpload.self, from: batch.body))
            let through = try #require(try await harness.writer.commit([.offlineViews(batch.entries, device: alice)]).first ?? nil)
            #expect(through == last.sequence)
            try device.store.write { db in try db.execute(sql: "DELETE FROM view_log WHERE sequence <= ?", arguments: [through]) }
            uploads += 1
        }
        #expect(uploads == 2)
        #expect(try device.unsentViews() == 0)

        let stored = try await harness.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE action = 'OFFLINE_VIEW' ORDER BY id").map(AuditLog.entry)
        }
        let details = stored.compactMap { OfflineViewDetail(text: $0.detail) }
        #expect(details.count == stored.count && stored.count == 15 * youngPeople.count, "one entry per young person of each logged entry")
        #expect(details.map(\.sequence) == details.map(\.sequence).sorted(), "in the order the views were made")
        #expect(details.flatMap(\.records).sorted() == shown.map { $0.id.uuidString.lowercased() }.sorted(), "every record once")
    }
}
