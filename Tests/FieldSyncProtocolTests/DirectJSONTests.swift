import Foundation
import Testing

@testable import FieldSyncProtocol

@Suite("DirectJSON writes what JSONEncoder writes")
struct DirectJSONTests {
    static let author = Authorship(
        user: "sam", device: UUID(), changeSet: UUID(), madeAt: "2026-11-22T10:00:00.000Z", receivedAt: "2026-11-22T10:00:01.000Z")

    static func record(fields: [String: JSONValue], conflicts: [Conflict] = []) -> RecordSnapshot {
        RecordSnapshot(
            id: UUID(), kind: .visit, youngPerson: UUID(), state: "DRAFT", stateVersion: 3, version: 7, deleted: false, fields: fields,
            fieldVersions: Dictionary(uniqueKeysWithValues: fields.keys.map { ($0, Int64(7)) }), createdBy: "priya o'neil",
            createdAt: "2026-11-22T10:00:00.000Z", updatedBy: "sam", updatedAt: "2026-11-22T11:00:00.000Z", conflicts: conflicts)
    }

    static let tricky: [String: JSONValue] = [
        "childViews": "She said \"hello\" \\ waved.\nSecond line\ttabbed; café, naïve, 😀, slash /, control \u{01}\u{1F}.",
        "childSeen": true, "announced": false, "planRefs": ["a", "b/c"], "nextVisitDue": "2026-12-31",
        "interpreter": ["used": true, "language": "Tigrinya"],
        "actions": [["id": "6c1a8a56-0000-4000-8000-000000000001", "description": "Book dentist", "status": "OPEN", "ownerLabel": nil]],
        "amountPence": 257_000, "negative": -42,
    ]

    @Test("A record document: the same bytes as the sorted-key encoder, and it reads back equal")
    func recordBytes() throws {
        for record in [Self.record(fields: Self.tricky), Self.record(fields: [:])] {
            let direct = try DirectJSON.encode(record)
            #expect(direct == (try WireProtocol.makeEncoder().encode(record)))
            #expect(try JSONDecoder().decode(RecordSnapshot.self, from: direct) == record)
        }
    }

    @Test("A record with conflicts and deleted set reads back equal")
    func recordWithConflicts() throws {
        let conflict = Conflict(
            id: UUID(), record: UUID(), field: "actions[6c1a8a56-0000-4000-8000-000000000001].status", base: "OPEN", current: "DONE",
            held: .null, heldBy: Self.author, openedAt: "2026-11-22T10:00:01.000Z")
        var record = Self.record(fields: Self.tricky, conflicts: [conflict])
        record.deleted = true
        let direct = try DirectJSON.encode(record)
        #expect(try JSONDecoder().decode(RecordSnapshot.self, from: direct) == record)
    }

    @Test("History changes, with and without each member")
    func historyChanges() throws {
        let cases = [
            HistoryChanges(fields: Self.tricky, state: "DRAFT"),
            HistoryChanges(
                reason: "Add the \"carer's\" views.", deleted: true, conflictsOpened: [UUID(), UUID()], conflictResolved: UUID()),
            HistoryChanges(),
        ]
        for changes in cases {
            let direct = try DirectJSON.encode(changes)
            #expect(direct == (try WireProtocol.makeEncoder().encode(changes)))
            #expect(try JSONDecoder().decode(HistoryChanges.self, from: direct) == changes)
        }
    }

    @Test("Random JSON values read back equal", arguments: 0..<40)
    func randomValues(seed: Int) throws {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        func randomString() -> String {
            let pool: [Character] = ["a", "Z", " ", "\"", "\\", "\n", "\t", "/", "é", "😀", "\u{07}", "0"]
            return String((0..<Int(next() % 12)).map { _ in pool[Int(next() % UInt64(pool.count))] })
        }
        func randomValue(_ depth: Int) -> JSONValue {
            switch next() % (depth > 2 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(next() % 2 == 0)
            case 2: return .integer(Int64(bitPattern: next()) >> Int64(next() % 60))
            case 3: return .string(randomString())
            case 4: return .array((0..<Int(next() % 4)).map { _ in randomValue(depth + 1) })
            default:
                return .object(
                    Dictionary((0..<Int(next() % 4)).map { _ in (randomString(), randomValue(depth + 1)) }, uniquingKeysWith: { a, _ in a })
                )
            }
        }
        let value = randomValue(0)
        let direct = DirectJSON.encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: direct) == value, "seed \(seed): \(String(decoding: direct, as: UTF8.self))")
        #expect(direct == (try WireProtocol.makeEncoder().encode(value)), "seed \(seed)")
    }

    @Test("A change set result, every verdict member present and absent: the same bytes, and it reads back equal")
    func resultBytes() throws {
        let verdicts = [
            OperationVerdict(index: 0, record: UUID(), outcome: .applied, version: 12),
            OperationVerdict(
                index: 1, record: UUID(), outcome: .conflict, version: 13, message: "Held: \"x\"\n", conflicts: [UUID(), UUID()]),
            OperationVerdict(
                index: 2, record: UUID(), outcome: .rejected, code: "not_editable", message: "Authorised visits take addenda only."),
        ]
        for (replayed, verdicts) in [(false, verdicts), (true, []), (false, Array(verdicts.prefix(1)))] {
            let result = ChangeSetResult(
                changeSet: UUID(), deviceSequence: 42, verdicts: verdicts, appliedAt: "2026-11-23T00:00:01.000Z", replayed: replayed)
            let direct = DirectJSON.encode(result)
            #expect(direct == (try WireProtocol.makeEncoder().encode(result)))
            #expect(try JSONDecoder().decode(ChangeSetResult.self, from: direct) == result)
        }
    }

    @Test("A create's fields written once beforehand give the same document and history bytes")
    func preEncodedFields() throws {
        let op = ChangeOperation.create(
            UUID(), kind: .visit, youngPerson: UUID(), fields: Self.tricky.merging(["cleared": .null]) { a, _ in a })
        let fieldsJSON = DirectJSON.fieldsObject(op.createdFields)
        let record = Self.record(fields: op.createdFields)
        #expect(try DirectJSON.encode(record, fieldsJSON: fieldsJSON) == (try DirectJSON.encode(record)))
        let changes = HistoryChanges(fields: op.createdFields, state: "DRAFT")
        #expect(try DirectJSON.encode(changes, fieldsJSON: fieldsJSON) == (try WireProtocol.makeEncoder().encode(changes)))
        #expect(op.createdFields["cleared"] == nil)
    }

    @Test("UUID text is uuidString, upper and lower case")
    func uuidText() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(UUIDText.uppercase(id) == id.uuidString)
            #expect(UUIDText.lowercase(id) == id.uuidString.lowercased())
        }
    }
}
