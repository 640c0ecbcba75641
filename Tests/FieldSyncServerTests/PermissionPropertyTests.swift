import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@testable import FieldSyncServer

/// Random operations of every type (create, update, transition, delete, resolve with each choice)
/// by random users of every role, each its own change set through the server's writer; each verdict
/// is checked against ``DomainPermissions`` from the record the server held just before, and a
/// refused operation must leave the record as it was.
///
/// Replay one history: `FIELDSYNC_PERMISSION_SEED=<seed> swift test --filter PermissionProperty`.
/// Run more: `FIELDSYNC_PERMISSION_RUNS=200`.
@Suite("Random operations by random roles against the domain model")
struct PermissionPropertyTests {
    typealias Expect = DomainPermissions.Expect

    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["FIELDSYNC_PERMISSION_SEED"].flatMap({ UInt64($0) }) { return [seed] }
        let runs = env["FIELDSYNC_PERMISSION_RUNS"].flatMap { Int($0) } ?? 12
        return (0..<UInt64(runs)).map { 0x9E12_0000 + $0 }
    }

    static let steps = 150

    /// Refusal codes that are not about permission or state (a check, a cap, a stale choice).
    static let otherRefusals: Set<String> = [
        RejectionCode.transitionCheckFailed.rawValue, RejectionCode.tooManyConflicts.rawValue, RejectionCode.recordTooLarge.rawValue,
        RejectionCode.recordDeleted.rawValue, RejectionCode.conflictNotFound.rawValue, RejectionCode.conflictAlreadyResolved.rawValue,
    ]

    @Test("Each verdict is the domain model's; a refused operation changes nothing", arguments: seeds)
    func randomOperations(seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let world = try PermissionWorld(usersPerRole: 2)
        let users = world.everyone
        let authors = users.map(\.userName) + [PermissionWorld.otherAuthor]
        // Records in every state, started by anyone, holding open conflicts (on fields, list items
        // and whole records) that others left, so every cell is reachable; and some tombstones
        // holding an edit that met the delete.
        var seeded: [(RecordSnapshot, [PermissionWorld.Written])] = []
        for kind in RecordKind.allCases {
            let reps = Representative.of(kind)
            var fields = kind == .visit ? PermissionWorld.completeVisit : PermissionWorld.readyPep
            for rep in reps { fields[rep.field] = rep.current }
            for state in DomainPermissions.states(kind) {
                for _ in 0..<2 {
                    let young = rng.chance(0.9) ? world.harness.youngPerson : world.unallocated
                    var record = PermissionWorld.record(
                        kind, state: state, createdBy: authors.randomElement(using: &rng)!, fields: fields, youngPerson: young)
                    for rep in reps.shuffled(using: &rng).prefix(2) {
                        record.conflicts.append(PermissionWorld.conflict(on: rep.path, current: rep.conflictCurrent, held: rep.held))
                    }
                    if rng.chance(0.3) {
                        record.conflicts.append(PermissionWorld.conflict(on: "(record)", current: .object(fields), held: .null))
                    }
                    seeded.append((record, []))
                }
            }
            for state in DomainPermissions.deletable[kind]!.sorted() {
                let rep = reps.randomElement(using: &rng)!
                var record = PermissionWorld.record(
                    kind, state: state, createdBy: authors.randomElement(using: &rng)!, fields: fields,
                    youngPerson: world.harness.youngPerson,
                    deleted: true)
                record.conflicts = [PermissionWorld.conflict(on: "(record)", current: .null, held: .object([rep.field: rep.updated]))]
                seeded.append((record, []))
            }
        }
        var ids = try await world.put(seeded).map(\.id)
        var log: [String] = []

        for step in 0..<Self.steps {
            // Everyone, the admin less often (they may do nothing).
            let device = users.filter { $0.role != .admin || rng.chance(0.3) }.randomElement(using: &rng)!
            let role = try #require(device.role)
            let roll = rng.next() % 100
            var target = ids.randomElement(using: &rng)!
            var before = try #require(try await world.harness.record(target))
            if roll >= 72 {
                // A resolution: look at a few records for one with an open conflict.
                for _ in 0..<6 where before.conflicts.isEmpty {
                    target = ids.randomElement(using: &rng)!
                    before = try #require(try await world.harness.record(target))
                }
            }
            let planned: Planned
            if roll < 8 {
                planned = plannedCreate(world, role: role, &rng)
            } else if roll < 40 {
                planned = plannedUpdate(world, before, role: role, user: device.userName, &rng)
            } else if roll < 62 {
                planned = try await plannedMove(world, before, role: role, user: device.userName, &rng)
            } else if roll < 72 {
                planned = plannedDelete(world, before, role: role, user: device.userName, &rng)
            } else {
                planned = plannedResolve(world, before, role: role, user: device.userName, &rng)
            }
            let verdict = try await world.harness.push(device, [planned.op]).verdicts[0]
            let what = "seed \(seed) step \(step): \(planned.cell) [\(planned.op.op.rawValue)]"
            log.append("\(what) → \(verdict.outcome.rawValue) \(verdict.code ?? "")")
            let got = PermissionWorld.actual(verdict)
            let known = DomainPermissions.disagreements.contains { $0.matches(planned.cell) }
            switch planned.expected {
            case .allowed:
                let permissionRefusal = verdict.outcome == .rejected && !Self.otherRefusals.contains(verdict.code ?? "")
                if permissionRefusal && !known {
                    Issue.record("\(what): the domain model allows it; the server refused \(verdict.code ?? "?"): \(verdict.message ?? "")")
                }
            case let expected:
                if got != expected && !known {
                    Issue.record(
                        "\(what): the domain model says \(expected); the server answered \(verdict.outcome.rawValue) \(verdict.code ?? "")")
                }
            }
            if planned.op.op == .create {
                if verdict.outcome == .rejected {
                    #expect(try await world.harness.record(planned.op.record) == nil, "\(what): refused, yet the record exists")
                } else {
                    ids.append(planned.op.record)
                }
            } else {
                let after = try #require(try await world.harness.record(target))
                if verdict.outcome == .rejected || (planned.expected != .allowed && !known) {
                    #expect(after == before, "\(what): not allowed, yet the record changed")
                }
            }
        }
        // Not a vacuous run: both answers occurred.
        #expect(log.contains { !$0.hasSuffix("rejected forbidden") && !$0.contains("→ rejected") }, "seed \(seed): nothing was allowed")
        #expect(log.contains { $0.contains("→ rejected forbidden") }, "seed \(seed): nothing was forbidden")
        if ProcessInfo.processInfo.environment["FIELDSYNC_PERMISSION_LOG"] != nil { print(log.joined(separator: "\n")) }
    }

    /// An operation and what the domain model says it should get.
    struct Planned {
        let op: ChangeOperation
        let cell: DomainPermissions.Case
        let expected: Expect
    }

    /// Scope, from the record's young person (the world's one allocated young person, or not).
    func sees(_ role: Role, _ record: RecordSnapshot, _ world: PermissionWorld) -> Bool {
        DomainPermissions.sees(role, record.kind, allocated: record.youngPerson == world.harness.youngPerson)
    }

    // MARK: create

    func plannedCreate(_ world: PermissionWorld, role: Role, _ rng: inout SeededRandom) -> Planned {
        let kind = RecordKind.allCases.randomElement(using: &rng)!
        let rep = rng.chance(0.5) ? nil : Representative.of(kind).randomElement(using: &rng)
        let allocated = rng.chance(0.85)
        let state = kind.schema.lifecycle.initialStates.randomElement(using: &rng)!
        let op = ChangeOperation.create(
            UUID(), kind: kind, youngPerson: allocated ? world.harness.youngPerson : world.unallocated, state: state,
            fields: rep.map { [$0.field: $0.current] } ?? [:])
        let expected: Expect =
            DomainPermissions.sees(role, kind, allocated: allocated)
            ? DomainPermissions.create(kind, group: rep?.group, state: state, role: role) : .forbidden
        return Planned(
            op: op, cell: .init(kind: kind, operation: "create", group: rep?.group, from: state, to: nil, role: role, author: true),
            expected: expected)
    }

    // MARK: update

    static let lines = ["First line.", "Second line.", "Third line.", "Fourth line."]

    func plannedUpdate(_ world: PermissionWorld, _ record: RecordSnapshot, role: Role, user: String, _ rng: inout SeededRandom) -> Planned {
        let rep = Representative.of(record.kind).randomElement(using: &rng)!
        let current = record.fields[rep.field] ?? .null
        var mine: JSONValue
        var base = current
        var rewrites = false
        if rep.isList, let member = rep.member, let template = rep.newItem {
            var items = current.arrayValue ?? []
            if items.isEmpty || rng.chance(0.5) {
                var item = template
                item["id"] = Representative.id()
                items.append(.object(item))
                mine = .array(items)
            } else {
                // Rewrite a member of an item the list holds, on a fresh or a stale base.
                let index = Int(rng.next() % UInt64(items.count))
                var item = items[index].objectValue ?? [:]
                item[member] = .string(Self.lines.randomElement(using: &rng)!)
                var changed = items
                changed[index] = .object(item)
                mine = .array(changed)
                rewrites = changed != items
                if rng.chance(0.4) {
                    var stale = items[index].objectValue ?? [:]
                    stale[member] = .string("An older " + member)
                    var staleItems = items
                    staleItems[index] = .object(stale)
                    base = .array(staleItems)
                }
            }
        } else {
            let pool: [JSONValue] =
                switch rep.field {
                case "yearGroup": ["Y7", "Y8", "Y9", "Y10"]
                case "qaRating": ["GOLD", "GREEN", "AMBER", "RED"]
                default: Self.lines.map { .string($0) }
                }
            mine = pool.randomElement(using: &rng)!
            if rng.chance(0.35) { base = pool.randomElement(using: &rng)! }
        }
        let op = ChangeOperation.update(record.id, base: record.version, fields: [rep.field: mine], baseFields: [rep.field: base])
        let author = record.createdBy == user
        var expected: Expect
        if !sees(role, record, world) {
            expected = .forbidden
        } else if record.deleted {
            // Held on the tombstone (or refused as late): only a user who may never write it is forbidden.
            expected =
                DomainPermissions.update(rep.group, state: record.state, author: author, role: role) == .forbidden ? .forbidden : .allowed
        } else {
            expected = DomainPermissions.update(rep.group, state: record.state, author: author, role: role, rewrites: rewrites)
        }
        let name =
            record.deleted && expected == .forbidden ? "update of a deleted record, by a user who may never write the field" : "update"
        return Planned(
            op: op,
            cell: .init(kind: record.kind, operation: name, group: rep.group, from: record.state, to: nil, role: role, author: author),
            expected: expected)
    }

    // MARK: move

    func plannedMove(_ world: PermissionWorld, _ record: RecordSnapshot, role: Role, user: String, _ rng: inout SeededRandom) async throws
        -> Planned
    {
        let options = DomainPermissions.moves[record.kind]?[record.state].map { Array($0.keys).sorted() } ?? []
        let author = record.createdBy == user
        guard !record.deleted, let to = options.randomElement(using: &rng) else {
            // Nowhere to go (or deleted): an update instead.
            return plannedUpdate(world, record, role: role, user: user, &rng)
        }
        let reason = to.hasPrefix("RETURNED") ? "Please add the carer's views." : nil
        let history = try await world.harness.history(record.id)
        // Wrote any of its content: a create, an edit or a resolution that set a field other than the
        // oversight note and addenda.
        let contributed = (history?.versions ?? []).contains { version in
            version.by.user == user && version.outcome != .rejected
                && (version.changes.fields ?? [:]).keys.contains { !["managerNote", "addenda"].contains($0) }
        }
        let expected: Expect =
            sees(role, record, world)
            ? DomainPermissions.move(record.kind, from: record.state, to: to, author: author, contributed: contributed, role: role)
            : .forbidden
        return Planned(
            op: .transition(record.id, base: record.version, to: to, reason: reason),
            cell: .init(kind: record.kind, operation: "move", group: nil, from: record.state, to: to, role: role, author: author),
            expected: expected)
    }

    // MARK: delete

    func plannedDelete(_ world: PermissionWorld, _ record: RecordSnapshot, role: Role, user: String, _ rng: inout SeededRandom) -> Planned {
        let author = record.createdBy == user
        guard !record.deleted else { return plannedUpdate(world, record, role: role, user: user, &rng) }
        // A stale base makes a delete that meets others' edits a conflict (still a discard decision).
        let base = rng.chance(0.3) ? 0 : record.version
        let expected: Expect =
            sees(role, record, world) ? DomainPermissions.delete(record.kind, state: record.state, author: author, role: role) : .forbidden
        return Planned(
            op: .delete(record.id, base: base),
            cell: .init(kind: record.kind, operation: "delete", group: nil, from: record.state, to: nil, role: role, author: author),
            expected: expected)
    }

    // MARK: resolve

    func plannedResolve(_ world: PermissionWorld, _ record: RecordSnapshot, role: Role, user: String, _ rng: inout SeededRandom) -> Planned
    {
        guard let conflict = record.conflicts.randomElement(using: &rng) else {
            return plannedUpdate(world, record, role: role, user: user, &rng)
        }
        let choice = [ResolutionChoice.held, .value, .current].randomElement(using: &rng)!
        let author = record.createdBy == user
        let reps = Representative.of(record.kind)
        let visible = sees(role, record, world)
        if conflict.field == "(record)" {
            let restoring = reps.first { rep in conflict.held.objectValue?.keys.contains(rep.field) == true } ?? reps[0]
            let value: JSONValue? =
                choice == .value ? .object([restoring.field: restoring.isList ? restoring.updated : restoring.resolution]) : nil
            let held = conflict.held.objectValue ?? [:]
            // Restoring writes every field held (or given); the strictest of their groups decides.
            let groups = Set(
                (choice == .value ? [restoring.field] : Array(held.keys)).compactMap { field in reps.first { $0.field == field }?.group })
            let expected: Expect =
                visible
                ? groups.map {
                    DomainPermissions.resolveRecord(
                        record.kind, choice, deleted: record.deleted, restoring: $0, state: record.state, author: author, role: role)
                }.max(by: { Self.severity($0) < Self.severity($1) })
                    ?? DomainPermissions.resolveRecord(
                        record.kind, choice, deleted: record.deleted, restoring: restoring.group, state: record.state, author: author,
                        role: role)
                : .forbidden
            return Planned(
                op: .resolve(record.id, base: record.version, conflict: conflict.id, choice: choice, value: value),
                cell: .init(
                    kind: record.kind, operation: "resolve (record) \(choice.rawValue)", group: nil, from: record.state, to: nil,
                    role: role,
                    author: author),
                expected: expected)
        }
        let path = FieldPath(conflict.field)
        let rep = reps.first { $0.field == path?.field } ?? reps[0]
        let value: JSONValue? =
            choice != .value
            ? nil
            : rep.field == "yearGroup" ? "Y11" : rep.field == "qaRating" ? "AMBER" : .string(Self.lines.randomElement(using: &rng)!)
        let expected: Expect =
            visible
            ? DomainPermissions.resolve(
                rep.group, choice, state: record.state, author: author, role: role, onExistingItem: path?.item != nil)
            : .forbidden
        return Planned(
            op: .resolve(record.id, base: record.version, conflict: conflict.id, choice: choice, value: value),
            cell: .init(
                kind: record.kind, operation: "resolve \(choice.rawValue)", group: rep.group, from: record.state, to: nil, role: role,
                author: author),
            expected: expected)
    }

    /// Which refusal wins when several fields decide: forbidden over locked over the rest.
    static func severity(_ expect: Expect) -> Int {
        switch expect {
        case .allowed: 0
        case .invalid: 1
        case .locked: 2
        case .forbidden: 3
        }
    }
}
