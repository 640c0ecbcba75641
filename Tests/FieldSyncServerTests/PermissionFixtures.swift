import FieldSyncProtocol
import Foundation
import GRDB

@testable import FieldSyncServer

/// One representative field per group of ``DomainPermissions/Group``, with valid values: what the
/// record holds, what an update writes, and a conflict on it (on a list, on a member of the item
/// the list already holds).
struct Representative: CustomStringConvertible {
    let group: DomainPermissions.Group
    let field: String
    let current: JSONValue
    /// An update's new value (for a list: the items held plus a new one).
    let updated: JSONValue
    /// The conflict's path, its current side (the value at that path), its held side, and the
    /// value a `value` resolution writes.
    let path: String
    let conflictCurrent: JSONValue
    let held: JSONValue
    let resolution: JSONValue
    let isList: Bool
    /// For a list: a new item's members (without its id), and the member the conflict is on.
    var newItem: [String: JSONValue]? = nil
    var member: String? = nil

    /// For a list: the list with its held item's member rewritten.
    var rewritten: JSONValue {
        guard let member, let items = current.arrayValue, var item = items.first?.objectValue else { return current }
        item[member] = .string("Rewritten.")
        return .array([.object(item)])
    }

    var description: String { "\(group.rawValue) (\(field))" }

    static func text(_ group: DomainPermissions.Group, _ field: String, _ current: String) -> Representative {
        Representative(
            group: group, field: field, current: .string(current), updated: .string(current + "\nAdded later."), path: field,
            conflictCurrent: .string(current), held: .string("Held: " + current), resolution: .string("Resolved: " + current),
            isList: false)
    }

    static func scalar(_ group: DomainPermissions.Group, _ field: String, _ values: [JSONValue]) -> Representative {
        Representative(
            group: group, field: field, current: values[0], updated: values[1], path: field, conflictCurrent: values[0], held: values[2],
            resolution: values[3], isList: false)
    }

    /// A list holding `item`; an update adds `added`; the conflict is on `item`'s `member`.
    static func list(
        _ group: DomainPermissions.Group, _ field: String, item: [String: JSONValue], added: [String: JSONValue], member: String
    ) -> Representative {
        let id = item["id"]!.stringValue!
        var addedItem = added
        addedItem["id"] = .string(UUID().uuidString.lowercased())
        let text = item[member]!.stringValue!
        return Representative(
            group: group, field: field, current: .array([.object(item)]), updated: .array([.object(item), .object(addedItem)]),
            path: "\(field)[\(id)].\(member)", conflictCurrent: .string(text), held: .string("Held: " + text),
            resolution: .string("Resolved: " + text), isList: true, newItem: added, member: member)
    }

    static func id() -> JSONValue { .string(UUID().uuidString.lowercased()) }

    static let visit: [Representative] = [
        .text(.visitContent, "observations", "Calm at home; tidy room."),
        .list(
            .visitContent, "actions",
            item: ["id": id(), "description": "Book dentist", "ownerType": "STAFF", "dueDate": "2026-12-01", "status": "OPEN"],
            added: ["description": "Call school", "ownerType": "STAFF", "dueDate": "2026-12-05", "status": "OPEN"], member: "description"),
        .text(.managerNote, "managerNote", "Discussed in supervision."),
        .list(
            .addenda, "addenda", item: ["id": id(), "text": "The visit started at 10:15, not 10:00.", "addedOn": "2026-11-21"],
            added: ["text": "The carer's name is spelt Anne.", "addedOn": "2026-11-22"], member: "text"),
    ]

    static let pep: [Representative] = [
        .scalar(.pepHeader, "yearGroup", ["Y8", "Y9", "Y7", "Y10"]),
        .text(.pepCare, "careSummaryForSchool", "Settled with long-term foster carers."),
        .text(.pepEducation, "strengths", "Art and football."),
        .list(
            .pepTargets, "targets",
            item: [
                "id": id(), "area": "ACADEMIC", "specific": "Read daily", "measure": "Reading age up 6 months", "ownerType": "DT",
                "dueDate": "2027-01-31",
            ],
            added: ["area": "SEMH", "specific": "Join a club", "measure": "Attends weekly", "ownerType": "CHILD", "dueDate": "2027-01-31"],
            member: "specific"),
        .text(.pepVoice, "childVoice", "I want to get better at reading."),
        .scalar(.pepQA, "qaRating", ["GREEN", "AMBER", "RED", "GOLD"]),
    ]

    static func of(_ kind: RecordKind) -> [Representative] { kind == .visit ? visit : pep }
}

/// A server store with one user (and device) per role, all allocated to the harness's young
/// person, and records put straight into the store in any state, so every cell of the matrix can
/// be tried with one change set.
final class PermissionWorld: @unchecked Sendable {
    let harness: ServerHarness
    /// One acting user per role (the first, the adviser, is the young person's key worker).
    let actors: [Role: AuthenticatedDevice]
    /// A young person allocated to nobody (outside every caseload but the Virtual School's).
    let unallocated = UUID()
    /// Who started the records the actor did not start, and who holds the conflicts.
    static let otherAuthor = "olga", conflictHolder = "hank"

    /// Every user's device (``actors`` and, with `usersPerRole` over 1, more of each role).
    let everyone: [AuthenticatedDevice]

    init(usersPerRole: Int = 1) throws {
        harness = try ServerHarness()
        var actors: [Role: AuthenticatedDevice] = [:]
        var everyone: [AuthenticatedDevice] = []
        for n in 0..<usersPerRole {
            for (role, name) in [
                (Role.personalAdviser, "pat"), (.socialWorker, "sam"), (.teamManager, "tess"), (.virtualSchool, "val"),
                (.designatedTeacher, "dora"), (.admin, "ada"),
            ] {
                let device = try harness.device(n == 0 ? name : "\(name)\(n + 1)", role: role)
                if n == 0 { actors[role] = device }
                everyone.append(device)
            }
        }
        self.actors = actors
        self.everyone = everyone
    }

    func actor(_ role: Role) -> AuthenticatedDevice { actors[role]! }

    static let fixedTime = "2026-11-20T10:00:00Z"

    static func authorship(_ user: String) -> Authorship {
        Authorship(user: user, device: UUID(), changeSet: UUID(), madeAt: fixedTime, receivedAt: fixedTime)
    }

    /// A record to put in the store (its versions are given when it is stored).
    static func record(
        _ kind: RecordKind, state: String, createdBy: String, fields: [String: JSONValue], youngPerson: UUID, deleted: Bool = false
    ) -> RecordSnapshot {
        RecordSnapshot(
            id: UUID(), kind: kind, youngPerson: youngPerson, state: state, stateVersion: 0, version: 0, deleted: deleted, fields: fields,
            fieldVersions: [:], createdBy: createdBy, createdAt: fixedTime, updatedBy: createdBy, updatedAt: fixedTime, conflicts: [])
    }

    /// An open conflict on `path`, held by ``conflictHolder``.
    static func conflict(on path: String, current: JSONValue, held: JSONValue) -> Conflict {
        Conflict(
            id: UUID(), record: UUID(), field: path, base: .null, current: current, held: held, heldBy: authorship(conflictHolder),
            openedAt: fixedTime)
    }

    /// What a user wrote earlier, kept in the record's history (for segregation of duties).
    struct Written {
        let user: String
        let fields: [String: JSONValue]
    }

    /// Stores the records as they are (with their conflicts and earlier history), in one
    /// transaction, and returns them as stored.
    func put(_ records: [(RecordSnapshot, [Written])]) async throws -> [RecordSnapshot] {
        try await harness.database.pool.write { db in
            var counter = try Int64.fetchOne(db, sql: "SELECT value FROM feed_counter WHERE id = 1") ?? 0
            var stored: [RecordSnapshot] = []
            var rows: [[SQLValue]] = []
            var historyRows: [[SQLValue]] = []
            let applier = ChangeSetApplier()
            for (record, written) in records {
                let key = UUIDText.uppercase(record.id)
                for entry in written {
                    counter += 1
                    let history = HistoryEntry(
                        version: counter, operation: .update, outcome: .applied, by: Self.authorship(entry.user),
                        changes: HistoryChanges(fields: entry.fields))
                    historyRows.append(
                        try applier.historyRow(history, recordKey: key, deviceKey: UUIDText.uppercase(UUID()), fieldsJSON: nil))
                }
                counter += 1
                var record = record
                record.version = counter
                record.stateVersion = counter
                record.fieldVersions = record.fields.mapValues { _ in counter }
                record.conflicts = record.conflicts.map { conflict in
                    var conflict = conflict
                    conflict.record = record.id
                    return conflict
                }
                for conflict in record.conflicts { try applier.store(conflict, openedAt: counter, in: db) }
                rows.append(try ChangeSetApplier.RecordToStore(key: key, record: record, fieldsJSON: nil).row())
                stored.append(record)
            }
            try ChangeSetApplier.recordUpsert.execute(rows, in: db)
            try ChangeSetApplier.historyInsert.execute(historyRows, in: db)
            try db.execute(sql: "UPDATE feed_counter SET value = ? WHERE id = 1", arguments: [counter])
            return stored
        }
    }

    /// The outcome class of a verdict, in the expectation's terms; nil for a refusal of another kind.
    static func actual(_ verdict: OperationVerdict) -> DomainPermissions.Expect? {
        guard verdict.outcome == .rejected else { return .allowed }
        switch verdict.code {
        case RejectionCode.forbidden.rawValue: return .forbidden
        case RejectionCode.notEditable.rawValue, RejectionCode.staleEditOnLockedRecord.rawValue: return .locked
        case RejectionCode.invalidValue.rawValue: return .invalid
        default: return nil
        }
    }

    /// A visit with every field its completion and submission checks ask for.
    static let completeVisit: [String: JSONValue] = [
        "kind": "CLA_STATUTORY", "contactMode": "FACE_TO_FACE", "locationType": "FOSTER_HOME",
        "actualStart": "2026-11-20T10:00:00Z", "actualEnd": "2026-11-20T11:00:00Z", "childSeen": true, "childSeenAlone": true,
        "childViews": "Fine.", "childViewsMethod": "CONVERSATION", "observations": "Calm.", "analysis": "None.",
        "nextVisitDue": "2026-12-31",
    ]

    /// A PEP with every field its meeting, readiness and finalising checks ask for.
    static let readyPep: [String: JSONValue] = [
        "academicYear": "2026/27", "term": "AUTUMN", "pepType": "TERMLY_REVIEW", "template": "KS3",
        "setting": .object(["urn": "123456", "name": "Oak Academy", "type": "ACADEMY", "outOfCounty": false]), "yearGroup": "Y8",
        "careSummaryForSchool": "Settled.", "strengths": "Art.", "barriersAndNeeds": "Reading.", "childVoice": "I like art.",
        "carerVoice": "Reads nightly.", "nextPepDate": "2027-02-01", "meetingDate": "2026-11-10T10:00:00Z",
        "attendees": .array([.object(["id": Representative.id(), "role": "DT", "attended": true])]),
        "targets": .array([
            .object([
                "id": Representative.id(), "area": "ACADEMIC", "specific": "Read daily", "measure": "Reading age up 6 months",
                "ownerType": "DT", "dueDate": "2027-01-31",
            ])
        ]),
        "qaRating": "GREEN",
    ]
}
