import FieldSyncProtocol
import Foundation
import Testing

@testable import FieldSyncServer

/// Every role × field group × state × author × operation, each as its own change set through the
/// writer the HTTP API uses, checked against ``DomainPermissions`` (the domain model restated by
/// hand, never ``PermissionMatrix``). A refused operation must leave the record exactly as it was;
/// an allowed one must make exactly its change.
@Suite("The permission matrix, cell by cell, against the domain model")
struct PermissionMatrixTests {
    typealias Expect = DomainPermissions.Expect

    /// What the cells found: disagreements with the domain model, and broken records.
    final class Tally: @unchecked Sendable {
        var mismatches: [(DomainPermissions.Case, expected: Expect, got: String)] = []
        var cells = 0

        func check(_ cell: DomainPermissions.Case, expected: Expect, verdict: OperationVerdict) {
            cells += 1
            let got = PermissionWorld.actual(verdict)
            if got != expected {
                mismatches.append((cell, expected, got?.description ?? "\(verdict.code ?? "?") (\(verdict.message ?? ""))"))
            }
        }

        /// Every disagreement is a listed one, and every listed one of `area` still occurs.
        func finish(_ area: DomainPermissions.Disagreement.Area) {
            var seen = Set<String>()
            for (cell, expected, got) in mismatches {
                if let known = DomainPermissions.disagreements.first(where: { $0.matches(cell) }) {
                    seen.insert(known.name)
                } else {
                    Issue.record("\(cell): the domain model says \(expected), the server answered \(got)")
                }
            }
            for known in DomainPermissions.disagreements where known.area == area && !seen.contains(known.name) {
                Issue.record("The known disagreement '\(known.name)' no longer occurs: take it off the list.")
            }
            #expect(cells > 0)
        }
    }

    static let roles = Role.allCases
    static let kinds = RecordKind.allCases

    // MARK: updates and resolutions

    @Test("Updates and resolutions (held, value, current) of every field group, in every state, by every role, author or not")
    func fieldWrites() async throws {
        let world = try PermissionWorld()
        let tally = Tally()
        for kind in Self.kinds {
            for state in DomainPermissions.states(kind) {
                for rep in Representative.of(kind) {
                    try await fieldCells(world, tally, kind: kind, state: state, rep: rep)
                }
            }
        }
        tally.finish(.fields)
    }

    enum FieldOperation: CaseIterable {
        case update, held, value, current
        /// For a list: an update rewriting the item the list holds, claiming the device never saw
        /// it (an empty base), the way finding 2 rewrote an authorised visit's addendum.
        case rewrite

        var name: String {
            switch self {
            case .update: "update"
            case .rewrite: "update rewriting a held item"
            case .held: "resolve held"
            case .value: "resolve value"
            case .current: "resolve current"
            }
        }
    }

    func fieldCells(_ world: PermissionWorld, _ tally: Tally, kind: RecordKind, state: String, rep: Representative) async throws {
        // One record per cell, all put in the store at once: the record in `state`, holding the
        // field, with an open conflict on it held by a third user.
        struct Cell {
            let role: Role
            let author: Bool
            let allocated: Bool
            let operation: FieldOperation
        }
        var cells: [Cell] = []
        for role in Self.roles {
            for author in [true, false] {
                for operation in FieldOperation.allCases where operation != .rewrite || rep.isList {
                    cells.append(Cell(role: role, author: author, allocated: true, operation: operation))
                }
                cells.append(Cell(role: role, author: author, allocated: false, operation: .update))
            }
        }
        let records = try await world.put(
            cells.map { cell in
                let createdBy = cell.author ? world.actor(cell.role).userName : PermissionWorld.otherAuthor
                var record = PermissionWorld.record(
                    kind, state: state, createdBy: createdBy, fields: [rep.field: rep.current],
                    youngPerson: cell.allocated ? world.harness.youngPerson : world.unallocated)
                record.conflicts = [PermissionWorld.conflict(on: rep.path, current: rep.conflictCurrent, held: rep.held)]
                return (record, [])
            })
        for (cell, before) in zip(cells, records) {
            let device = world.actor(cell.role)
            let conflict = before.conflicts[0]
            let op: ChangeOperation =
                switch cell.operation {
                case .update:
                    .update(before.id, base: before.version, fields: [rep.field: rep.updated], baseFields: [rep.field: rep.current])
                case .rewrite:
                    .update(before.id, base: before.version, fields: [rep.field: rep.rewritten], baseFields: [rep.field: .array([])])
                case .held: .resolve(before.id, base: before.version, conflict: conflict.id, choice: .held)
                case .value: .resolve(before.id, base: before.version, conflict: conflict.id, choice: .value, value: rep.resolution)
                case .current: .resolve(before.id, base: before.version, conflict: conflict.id, choice: .current)
                }
            var expected: Expect
            if !DomainPermissions.sees(cell.role, kind, allocated: cell.allocated) {
                expected = .forbidden
            } else {
                switch cell.operation {
                case .update: expected = DomainPermissions.update(rep.group, state: state, author: cell.author, role: cell.role)
                case .rewrite:
                    expected = DomainPermissions.update(rep.group, state: state, author: cell.author, role: cell.role, rewrites: true)
                case .held, .value, .current:
                    let choice: ResolutionChoice = cell.operation == .held ? .held : cell.operation == .value ? .value : .current
                    expected = DomainPermissions.resolve(
                        rep.group, choice, state: state, author: cell.author, role: cell.role, onExistingItem: rep.isList)
                }
            }
            let verdict = try await world.harness.push(device, [op]).verdicts[0]
            let description = DomainPermissions.Case(
                kind: kind, operation: cell.operation.name + (cell.allocated ? "" : " (young person not allocated)"), group: rep.group,
                from: state, to: nil, role: cell.role, author: cell.author)
            tally.check(description, expected: expected, verdict: verdict)
            let after = try #require(try await world.harness.record(before.id))
            guard verdict.outcome != .rejected else {
                #expect(after == before, "\(description) (\(rep)): refused, yet the record changed")
                continue
            }
            let path = try #require(FieldPath(rep.path))
            switch cell.operation {
            case .update:
                #expect(after.fields[rep.field] == rep.updated, "\(description) (\(rep)): the update was not written")
            case .rewrite:
                // Merged against the device's (empty) base: a conflict on the item, or the rewrite.
                #expect(after.version > before.version, "\(description) (\(rep)): allowed, yet nothing happened")
            case .held, .value, .current:
                let want = cell.operation == .held ? rep.held : cell.operation == .value ? rep.resolution : rep.conflictCurrent
                #expect(path.value(in: after.fields) == want, "\(description) (\(rep)): the resolution did not write its choice")
                #expect(after.conflicts.isEmpty, "\(description) (\(rep)): the conflict is still open")
            }
        }
    }

    // MARK: creates

    @Test("Creates of every kind by every role, holding a field of each group")
    func creates() async throws {
        let world = try PermissionWorld()
        let tally = Tally()
        for kind in Self.kinds {
            let groups: [Representative?] = [nil] + Representative.of(kind).map(Optional.some)
            for role in Self.roles {
                for rep in groups {
                    let id = UUID()
                    let fields = rep.map { [$0.field: $0.current] } ?? [:]
                    let state = kind.schema.lifecycle.defaultInitialState
                    let verdict = try await world.harness.push(
                        world.actor(role), [.create(id, kind: kind, youngPerson: world.harness.youngPerson, fields: fields)]
                    ).verdicts[0]
                    let expected: Expect =
                        DomainPermissions.sees(role, kind, allocated: true)
                        ? DomainPermissions.create(kind, group: rep?.group, state: state, role: role) : .forbidden
                    let cell = DomainPermissions.Case(
                        kind: kind, operation: "create", group: rep?.group, from: state, to: nil, role: role, author: true)
                    tally.check(cell, expected: expected, verdict: verdict)
                    let stored = try await world.harness.record(id)
                    #expect((stored != nil) == (verdict.outcome != .rejected), "\(cell): the store does not match the verdict")
                }
            }
        }
        tally.finish(.creates)
    }

    // MARK: deletes and (record) conflicts

    @Test("Deletes, and resolutions of delete-versus-edit conflicts, against the discard grants and the deletable states")
    func deletesAndRecordConflicts() async throws {
        let world = try PermissionWorld()
        let tally = Tally()
        for kind in Self.kinds {
            let restoring = kind == .visit ? Representative.visit[0] : Representative.pep[4]
            for state in DomainPermissions.states(kind) {
                enum Operation {
                    case delete, deleteAgain
                    case record(deleted: Bool, ResolutionChoice)
                }
                var cells: [(Role, Bool, Operation)] = []
                for role in Self.roles {
                    for author in [true, false] {
                        cells.append((role, author, .delete))
                        cells.append((role, author, .deleteAgain))
                        for deleted in [false, true] {
                            for choice in [ResolutionChoice.held, .value, .current] {
                                cells.append((role, author, .record(deleted: deleted, choice)))
                            }
                        }
                    }
                }
                let records = try await world.put(
                    cells.map { role, author, operation in
                        let createdBy = author ? world.actor(role).userName : PermissionWorld.otherAuthor
                        var record = PermissionWorld.record(
                            kind, state: state, createdBy: createdBy, fields: [restoring.field: restoring.current],
                            youngPerson: world.harness.youngPerson)
                        if case .deleteAgain = operation { record.deleted = true }
                        if case .record(let deleted, _) = operation {
                            record.deleted = deleted
                            // A live record holds someone's delete; a tombstone holds someone's edit.
                            record.conflicts = [
                                deleted
                                    ? PermissionWorld.conflict(
                                        on: "(record)", current: .null, held: .object([restoring.field: restoring.held]))
                                    : PermissionWorld.conflict(on: "(record)", current: .object(record.fields), held: .null)
                            ]
                        }
                        return (record, [])
                    })
                for ((role, author, operation), before) in zip(cells, records) {
                    let op: ChangeOperation
                    var expected: Expect
                    let name: String
                    switch operation {
                    case .delete:
                        op = .delete(before.id, base: before.version)
                        expected = DomainPermissions.delete(kind, state: state, author: author, role: role)
                        name = "delete"
                    case .deleteAgain:
                        op = .delete(before.id, base: before.version)
                        expected = DomainPermissions.mayDiscard(kind, author: author, role: role) ? .allowed : .forbidden
                        name = "delete of a deleted record"
                    case .record(let deleted, let choice):
                        let value: JSONValue? = choice == .value ? .object([restoring.field: restoring.resolution]) : nil
                        op = .resolve(before.id, base: before.version, conflict: before.conflicts[0].id, choice: choice, value: value)
                        expected = DomainPermissions.resolveRecord(
                            kind, choice, deleted: deleted, restoring: restoring.group, state: state, author: author, role: role)
                        name = "resolve (record) \(choice.rawValue) on a \(deleted ? "deleted" : "live") record"
                    }
                    if !DomainPermissions.sees(role, kind, allocated: true) { expected = .forbidden }
                    let cell = DomainPermissions.Case(
                        kind: kind, operation: name, group: nil, from: state, to: nil, role: role, author: author)
                    let verdict = try await world.harness.push(world.actor(role), [op]).verdicts[0]
                    tally.check(cell, expected: expected, verdict: verdict)
                    let after = try #require(try await world.harness.record(before.id))
                    guard verdict.outcome != .rejected else {
                        #expect(after == before, "\(cell): refused, yet the record changed")
                        continue
                    }
                    switch operation {
                    case .delete, .deleteAgain:
                        #expect(after.deleted, "\(cell): not deleted")
                    case .record(let deleted, let choice):
                        #expect(after.conflicts.isEmpty, "\(cell): the conflict is still open")
                        switch (deleted, choice) {
                        case (false, .held): #expect(after.deleted, "\(cell): the held delete was not made")
                        case (false, _): #expect(!after.deleted && after.fields == before.fields, "\(cell): the record did not stay")
                        case (true, .current): #expect(after.deleted, "\(cell): the record came back")
                        case (true, _):
                            let want = choice == .held ? restoring.held : restoring.resolution
                            #expect(!after.deleted && after.fields[restoring.field] == want, "\(cell): not restored with its fields")
                        }
                    }
                }
            }
        }
        tally.finish(.records)
    }

    // MARK: moves

    /// What the acting user wrote of the record before the move.
    enum Contribution: CaseIterable {
        case nothing, managerNoteOnly, content
    }

    @Test("Every lifecycle move by every role, author or not, with segregation of duties for authorising")
    func moves() async throws {
        let world = try PermissionWorld()
        let tally = Tally()
        for kind in Self.kinds {
            let fields = kind == .visit ? PermissionWorld.completeVisit : PermissionWorld.readyPep
            for (from, to) in DomainPermissions.allMoves(kind) {
                let contributions: [Contribution] = kind == .visit && to == "AUTHORISED" ? Contribution.allCases : [.nothing]
                var cells: [(Role, Bool, Contribution)] = []
                for role in Self.roles {
                    for author in [true, false] {
                        for contribution in contributions { cells.append((role, author, contribution)) }
                    }
                }
                let records = try await world.put(
                    cells.map { role, author, contribution in
                        let user = world.actor(role).userName
                        let record = PermissionWorld.record(
                            kind, state: from, createdBy: author ? user : PermissionWorld.otherAuthor, fields: fields,
                            youngPerson: world.harness.youngPerson)
                        let written: [PermissionWorld.Written] =
                            switch contribution {
                            case .nothing: []
                            case .managerNoteOnly: [.init(user: user, fields: ["managerNote": "Seen."])]
                            case .content: [.init(user: user, fields: ["analysis": "A manager's analysis."])]
                            }
                        return (record, written)
                    })
                for ((role, author, contribution), before) in zip(cells, records) {
                    let reason = to.hasPrefix("RETURNED") ? "Please add the carer's views." : nil
                    let verdict = try await world.harness.push(
                        world.actor(role), [.transition(before.id, base: before.version, to: to, reason: reason)]
                    ).verdicts[0]
                    let expected: Expect =
                        DomainPermissions.sees(role, kind, allocated: true)
                        ? DomainPermissions.move(
                            kind, from: from, to: to, author: author, contributed: contribution == .content, role: role)
                        : .forbidden
                    let cell = DomainPermissions.Case(
                        kind: kind, operation: contribution == .nothing ? "move" : "move after writing \(contribution)", group: nil,
                        from: from,
                        to: to, role: role, author: author)
                    tally.check(cell, expected: expected, verdict: verdict)
                    let after = try #require(try await world.harness.record(before.id))
                    if verdict.outcome == .rejected {
                        #expect(after == before, "\(cell) (wrote \(contribution)): refused, yet the record changed")
                    } else {
                        #expect(after.state == to && after.fields == before.fields, "\(cell) (wrote \(contribution)): not moved")
                    }
                }
            }
        }
        tally.finish(.moves)
    }
}
