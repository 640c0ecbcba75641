import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, findings 3, 4 and 11: one change set's merge work and the storage it can cause are
/// bounded, and refusals name nothing outside the caller's scope. Driven over HTTP against a real
/// `fieldsync-server`. (How long the worst case holds the writer is measured by
/// `scripts/bench_worst_case.py` on a release build, not here.)
@Suite("Bounded work and storage; refusals that tell no secrets")
struct BoundedWorkTests {
    static func lines(_ line: String, _ count: Int) -> String { String(repeating: line + "\n", count: count) }

    @Test("Adversarial text merges in one change set become conflicts once the merge budget is spent, keeping every side")
    func mergeBudget() async throws {
        let world = try TestWorld()
        let attacker = try await WireDevice.enrolled(world, "priya")
        let other = try await WireDevice.enrolled(world, "pat")
        let id = UUID()
        let base = Self.lines("a", 3300)
        let mine = Self.lines("b", 3300)
        let current = Self.lines("c", 3300)
        try await attacker.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["childViews": .string(base)])])
        let v1 = try #require(try await attacker.record(id)).version
        #expect(
            try await other.send(.update(id, base: v1, fields: ["childViews": .string(current)], baseFields: ["childViews": .string(base)]))
                .outcome == .applied)

        let count = 40
        let answer = try await attacker.push(
            (0..<count).map { n in
                .update(id, base: v1, fields: ["childViews": .string(mine + "\(n)")], baseFields: ["childViews": .string(base)])
            })
        #expect(answer.verdicts.count == count)
        #expect(answer.verdicts.allSatisfy { $0.outcome == .conflict })
        // Others are served meanwhile and afterwards.
        #expect(try await other.record(id)?.fields["childViews"] == .string(current))

        let record = try #require(try await other.record(id))
        #expect(record.conflicts.count == 1, "one open conflict per field and author: the newest held value")
        #expect(record.conflicts.first?.held == .string(mine + "\(count - 1)"))
        let history = try await other.history(id)
        let superseded = history.conflicts.filter { $0.status == "superseded" }
        #expect(superseded.count == count - 1)
        #expect(Set(superseded.map(\.held)) == Set((0..<(count - 1)).map { JSONValue.string(mine + "\($0)") }), "every held value is kept")
    }

    @Test("500 conflicting one-character edits against a 100,000-character field do not multiply the store or the record")
    func conflictsDoNotMultiplyStorage() async throws {
        let world = try TestWorld()
        let attacker = try await WireDevice.enrolled(world, "priya")
        let other = try await WireDevice.enrolled(world, "pat")
        let id = UUID()
        try await attacker.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["analysis": "start"])])
        let v1 = try #require(try await attacker.record(id)).version
        let big = String(repeating: String(repeating: "x", count: 99) + "\n", count: 1000)
        #expect(
            try await other.send(.update(id, base: v1, fields: ["analysis": .string(big)], baseFields: ["analysis": "start"])).outcome
                == .applied)
        let before = world.server.storeBytes()

        let answer = try await attacker.push(
            (0..<500).map { n in .update(id, base: v1, fields: ["analysis": .string("start\(n % 10)")], baseFields: ["analysis": "start"]) }
        )
        #expect(answer.verdicts.allSatisfy { $0.outcome == .conflict })

        let grew = world.server.storeBytes() - before
        #expect(grew < 8 * 1024 * 1024, "the store grew \(grew) bytes (it was 104 MB before the fix)")
        let document = try await other.client.send("GET", "/v1/changes?limit=1000")
        #expect(document.body.count < 400 * 1024, "the record goes to every device: \(document.body.count) bytes")
        #expect(try #require(try await other.record(id)).conflicts.count == 1)
    }

    @Test("A change that would open more conflicts than a record may hold is refused whole and kept")
    func openConflictCap() async throws {
        let world = try TestWorld()
        let laptop = try await WireDevice.enrolled(world, "priya")
        let other = try await WireDevice.enrolled(world, "pat")
        let id = UUID()
        let ids = (0..<25).map { String(format: "00000000-0000-4000-8000-%012d", $0) }
        func actions(_ text: String) -> JSONValue {
            .array(
                ids.map {
                    ["id": .string($0), "description": .string(text), "ownerType": "STAFF", "dueDate": "2026-12-20", "status": "OPEN"]
                })
        }
        try await laptop.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["actions": actions("Agreed")])])
        let v1 = try #require(try await laptop.record(id)).version
        #expect(
            try await other.send(
                .update(id, base: v1, fields: ["actions": actions("Done by Pat")], baseFields: ["actions": actions("Agreed")])
            ).outcome == .applied)
        let verdict = try await laptop.send(
            .update(id, base: v1, fields: ["actions": actions("Done by Priya")], baseFields: ["actions": actions("Agreed")]))
        #expect(verdict.outcome == .rejected && verdict.code == RejectionCode.tooManyConflicts.rawValue)
        let record = try #require(try await other.record(id))
        #expect(record.conflicts.isEmpty && record.fields["actions"] == actions("Done by Pat"))
        #expect(try await other.history(id).rejections.count == 1, "the refused change is kept")
    }

    @Test("Refusals name nothing outside the caller's scope; an outsider's refused write stays out of the record's history")
    func refusalsTellNoSecrets() async throws {
        let world = try TestWorld()
        let owner = try await WireDevice.enrolled(world, "priya")
        let coWorker = try await WireDevice.enrolled(world, "pat")
        let outsider = try await WireDevice.enrolled(world, "olga", allocate: false)
        let id = UUID()
        try await owner.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": "Mine"])])
        let v1 = try #require(try await owner.record(id)).version

        let refused = try await outsider.send(.update(id, base: v1, fields: ["purpose": "Theirs"], baseFields: ["purpose": "Mine"]))
        #expect(refused.outcome == .rejected && refused.code == RejectionCode.forbidden.rawValue)
        let message = try #require(refused.message)
        #expect(!message.lowercased().contains(world.youngPerson.uuidString.lowercased()), "names no young person: \(message)")
        #expect(!message.contains("priya"))
        #expect(try await owner.history(id).rejections.isEmpty)

        // A conflict settled by someone else: a late resolution is refused without naming who settled it.
        #expect(
            try await owner.send(.update(id, base: v1, fields: ["announced": true], baseFields: ["announced": nil])).outcome == .applied)
        let opened = try await coWorker.send(.update(id, base: v1, fields: ["announced": false], baseFields: ["announced": nil]))
        let conflict = try #require(opened.conflicts?.first)
        let v = try #require(try await owner.record(id)).version
        #expect(try await owner.send(.resolve(id, base: v, conflict: conflict, choice: .current)).outcome == .applied)
        let late = try await coWorker.send(.resolve(id, base: v, conflict: conflict, choice: .held))
        #expect(late.code == RejectionCode.conflictAlreadyResolved.rawValue)
        #expect(late.message?.contains("priya") == false)
    }
}
