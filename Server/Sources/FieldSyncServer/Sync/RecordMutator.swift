import FieldSyncProtocol
import Foundation

/// Applies one operation to one record, following the merge rules and the record's lifecycle.
///
/// Pure logic over snapshots: the caller loads the record, passes lookups in the context, and
/// stores what comes back. Every refusal is a verdict carrying a code and a sentence, never a throw:
/// a throw means storage failed and the whole change set is rolled back.
struct RecordMutator {
    let context: MutationContext

    func apply(_ op: ChangeOperation, index: Int, to current: RecordSnapshot?) throws -> MutationResult {
        if let kind = current?.kind ?? op.kind, let youngPerson = current?.youngPerson ?? op.youngPerson,
            !context.scope.allows(kind, youngPerson)
        {
            var refused = MutationResult.rejected(index, op, .forbidden, forbiddenSentence(kind, op, existing: current != nil))
            // Kept (1.1), but not inside the history of a record the writer never worked on. A former
            // worker's late edit (after a reallocation) stays in the record's history for the new
            // worker to carry over.
            if let current { refused.outsideScope = try !context.wroteBefore(current.id, context.author.user) }
            return refused
        }
        switch op.op {
        case .create: return create(op, index: index, existing: current)
        case .update: return try update(op, index: index, current: current)
        case .transition: return try transition(op, index: index, current: current)
        case .delete: return try delete(op, index: index, current: current)
        case .resolve: return try ConflictResolver(context: context).resolve(op, index: index, current: current)
        }
    }

    // MARK: create

    func create(_ op: ChangeOperation, index: Int, existing: RecordSnapshot?) -> MutationResult {
        guard let kind = op.kind, let youngPerson = op.youngPerson else {
            return .rejected(index, op, .kindMismatch, "A create needs a kind and a young person.")
        }
        if let existing {
            return .rejected(
                index, op, .recordExists,
                "A \(existing.kind.rawValue) record with id \(op.record) already exists (created by \(existing.createdBy)); this create was refused and its values are kept with the refusal."
            )
        }
        let fields = op.createdFields
        let state = op.state ?? kind.schema.lifecycle.defaultInitialState
        if let (code, why) = context.policy.create(kind: kind, fields: fields.keys, state: state) {
            return .rejected(index, op, code, why + Self.kept)
        }
        let version = context.allocateVersion()
        let record = RecordSnapshot(
            id: op.record, kind: kind, youngPerson: youngPerson, state: state, stateVersion: version, version: version,
            deleted: false, fields: fields, fieldVersions: fields.mapValues { _ in version },
            createdBy: context.author.user, createdAt: context.author.receivedAt, updatedBy: context.author.user,
            updatedAt: context.author.receivedAt, conflicts: [])
        return MutationResult(
            verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: version),
            record: record,
            history: history(version, op, .applied, HistoryChanges(fields: fields, state: state)))
    }

    // MARK: update

    func update(_ op: ChangeOperation, index: Int, current: RecordSnapshot?) throws -> MutationResult {
        guard var record = current else {
            return .rejected(
                index, op, .recordNotFound, "There is no record \(op.record) on the server; your edit is kept with this refusal.")
        }
        let base = op.base ?? 0
        let fields = op.fields ?? [:]
        if record.deleted {
            return try editMeetsDelete(op, index: index, record: record, base: base)
        }
        let schema = record.kind.schema
        if let stranger = fields.keys.sorted().first(where: { schema.field($0) == nil }) {
            return .rejected(
                index, op, .kindMismatch,
                "Record \(op.record) is a \(record.kind.rawValue) record, which has no field '\(stranger)'; nothing of this edit was applied."
            )
        }
        let baseFields = op.baseFields ?? [:]
        let appendOnly: Set<String>
        switch context.policy.edit(record, fields: fields.keys) {
        case .refused(let code, let why): return .rejected(index, op, code, why + Self.kept)
        case .locked(let notYours): return try lockedRecordRefusal(op, index: index, record: record, base: base, notYours: notYours)
        case .allowed(let fields): appendOnly = fields
        }
        var changed: [String: JSONValue] = [:]
        var parts: [ConflictPart] = []
        var merged = false
        for name in fields.keys.sorted() {
            let mine = fields[name] ?? .null
            let currentValue = record.fields[name] ?? .null
            let kind = schema.fields[name]!.kind
            if appendOnly.contains(name) {
                // Checked against the server's list, never the device's base (an append-only list is not merged).
                switch AppendOnlyList.append(current: currentValue, mine: mine, base: baseFields[name] ?? .null) {
                case .unchanged: continue
                case .appended(let value): changed[name] = value
                case .refused:
                    return .rejected(
                        index, op, .notEditable,
                        "A \(record.state) \(record.kind.rawValue) record takes new \(name) only; the ones it holds are never changed or removed.\(Self.kept)"
                    )
                }
                continue
            }
            switch FieldMerge.merge(
                field: name, kind: kind, base: baseFields[name] ?? .null, mine: mine, current: currentValue, budget: context.budget)
            {
            case .unchanged:
                continue
            case .set(let value, let wasMerged):
                changed[name] = value
                merged = merged || wasMerged
            case .conflicted(let value, let newParts):
                if value != currentValue { changed[name] = value }
                parts += newParts
            }
        }
        if changed.isEmpty && parts.isEmpty {
            return MutationResult(
                verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: record.version),
                record: nil, history: nil)
        }
        let opened = parts.map { part in
            Conflict(
                id: UUID(), record: record.id, field: part.path, base: part.base, current: part.current, held: part.held,
                heldBy: context.author, openedAt: context.author.receivedAt)
        }
        let superseded: [Conflict]
        switch admit(opened, into: &record) {
        case .refused(let code, let why): return .rejected(index, op, code, why)
        case .admitted(let replaced): superseded = replaced
        }
        let version = context.allocateVersion()
        for (name, value) in changed {
            if value.isNull { record.fields.removeValue(forKey: name) } else { record.fields[name] = value }
            record.fieldVersions[name] = version
        }
        touch(&record, version)
        let outcome: Outcome = opened.isEmpty ? (merged ? .merged : .applied) : .conflict
        return MutationResult(
            verdict: OperationVerdict(
                index: index, record: op.record, outcome: outcome, version: version,
                message: opened.isEmpty ? nil : conflictSentence(opened),
                conflicts: opened.isEmpty ? nil : opened.map(\.id)),
            record: record,
            history: history(
                version, op, outcome,
                HistoryChanges(fields: changed.isEmpty ? nil : changed, conflictsOpened: opened.isEmpty ? nil : opened.map(\.id))),
            openedConflicts: opened, supersededConflicts: superseded)
    }

    /// An edit reaching a deleted record: if the delete came from someone else after the edit's
    /// base, the edit is held in a conflict on the tombstone (contract 1.4); otherwise the device
    /// knew it was deleted and the edit is refused.
    func editMeetsDelete(_ op: ChangeOperation, index: Int, record: RecordSnapshot, base: Int64) throws -> MutationResult {
        guard try context.changedByOthersSince(record.id, base) != nil else {
            return .rejected(
                index, op, .recordDeleted,
                "Record \(op.record) was deleted before this edit was made; the edit is kept with this refusal.")
        }
        // The edit would be written if the record were restored: it must be one this user may make.
        if case .refused(let code, let why) = context.policy.edit(record, fields: (op.fields ?? [:]).keys) {
            return .rejected(index, op, code, why + Self.kept)
        }
        var record = record
        let conflict = Conflict(
            id: UUID(), record: record.id, field: ConflictResolver.recordPath, base: .null, current: .null,
            held: .object(op.fields ?? [:]), heldBy: context.author, openedAt: context.author.receivedAt)
        let superseded: [Conflict]
        switch admit([conflict], into: &record) {
        case .refused(let code, let why): return .rejected(index, op, code, why)
        case .admitted(let replaced): superseded = replaced
        }
        let version = context.allocateVersion()
        touch(&record, version)
        return MutationResult(
            verdict: OperationVerdict(
                index: index, record: op.record, outcome: .conflict, version: version,
                message:
                    "Someone deleted this record while you edited it; your edit is held in conflict \(conflict.id) until someone restores or confirms the delete.",
                conflicts: [conflict.id]),
            record: record,
            history: history(version, op, .conflict, HistoryChanges(conflictsOpened: [conflict.id])),
            openedConflicts: [conflict], supersededConflicts: superseded)
    }

    /// Contract 4.7: a record that has left its editable states is not changed by an edit.
    func lockedRecordRefusal(
        _ op: ChangeOperation, index: Int, record: RecordSnapshot, base: Int64, notYours: String? = nil
    ) throws -> MutationResult {
        if record.stateVersion > base, try context.changedByOthersSince(record.id, base) != nil {
            let offer =
                record.kind == .visit
                ? " Add it as an addendum, or ask for the visit to be returned." : " Ask for the PEP to be returned for amendment."
            return .rejected(
                index, op, .staleEditOnLockedRecord,
                "This \(record.kind.rawValue) record became \(record.state) (by \(record.updatedBy)) after the version your edit was made on, so your edit did not change it. It is kept as a rejected change.\(offer)"
            )
        }
        // Locked for everyone, or open to others in this state with this part not the user's yet.
        return .rejected(
            index, op, .notEditable, RecordPolicy.lockedEdit(record, notYours: notYours) + " Your change is kept as a rejected change.")
    }

    // MARK: transition

    func transition(_ op: ChangeOperation, index: Int, current: RecordSnapshot?) throws -> MutationResult {
        guard var record = current, !record.deleted else {
            return .rejected(
                index, op, current == nil ? .recordNotFound : .recordDeleted,
                "Record \(op.record) is not on the server (or was deleted); the state change was not made.")
        }
        let to = op.to ?? ""
        if record.state == to {
            return MutationResult(
                verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: record.version), record: nil,
                history: nil)
        }
        if let (code, why) = try context.policy.transition(record, to: to, reason: op.reason) {
            return .rejected(index, op, code, why)
        }
        let version = context.allocateVersion()
        record.state = to
        record.stateVersion = version
        touch(&record, version)
        return MutationResult(
            verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: version),
            record: record, history: history(version, op, .applied, HistoryChanges(state: to, reason: op.reason)))
    }

    // MARK: delete

    func delete(_ op: ChangeOperation, index: Int, current: RecordSnapshot?) throws -> MutationResult {
        guard var record = current else {
            return .rejected(index, op, .recordNotFound, "There is no record \(op.record) on the server to delete.")
        }
        if record.deleted {
            return MutationResult(
                verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: record.version), record: nil,
                history: nil)
        }
        if let (code, why) = context.policy.discard(record) {
            return .rejected(index, op, code, why)
        }
        if try context.changedByOthersSince(record.id, op.base ?? 0) != nil {
            // A delete that meets edits it never saw: the record stays, the delete is held (1.4).
            let conflict = Conflict(
                id: UUID(), record: record.id, field: ConflictResolver.recordPath, base: .null,
                current: .object(record.fields), held: .null, heldBy: context.author, openedAt: context.author.receivedAt)
            let superseded: [Conflict]
            switch admit([conflict], into: &record) {
            case .refused(let code, let why): return .rejected(index, op, code, why)
            case .admitted(let replaced): superseded = replaced
            }
            let version = context.allocateVersion()
            touch(&record, version)
            return MutationResult(
                verdict: OperationVerdict(
                    index: index, record: op.record, outcome: .conflict, version: version,
                    message:
                        "Someone edited this record after the version you deleted; it was kept and your delete is held in conflict \(conflict.id).",
                    conflicts: [conflict.id]),
                record: record, history: history(version, op, .conflict, HistoryChanges(conflictsOpened: [conflict.id])),
                openedConflicts: [conflict], supersededConflicts: superseded)
        }
        let version = context.allocateVersion()
        record.deleted = true
        touch(&record, version)
        return MutationResult(
            verdict: OperationVerdict(index: index, record: op.record, outcome: .applied, version: version),
            record: record, history: history(version, op, .applied, HistoryChanges(deleted: true)))
    }

    // MARK: helpers

    /// Contract 5.2: a write outside the user's scope is a verdict, kept, never a silent drop. The
    /// sentence names only what the device sent: never the young person of a record it may not see.
    func forbiddenSentence(_ kind: RecordKind, _ op: ChangeOperation, existing: Bool) -> String {
        let role = context.device.roleName
        if !context.scope.kinds.contains(kind) {
            return "Your role (\(role)) may not write \(kind.rawValue) records. The change is kept on the server as a refused change."
        }
        if !existing, op.op == .create, let youngPerson = op.youngPerson {
            return
                "Young person \(UUIDText.lowercase(youngPerson)) is not on your caseload (or has moved to another worker), so this change was refused. It is kept on the server; ask your team manager to carry it over."
        }
        return
            "Record \(UUIDText.lowercase(op.record)) is not on your caseload (or its young person has moved to another worker), so this change was refused. It is kept on the server; ask your team manager to carry it over."
    }

    static let kept = " The change is kept on the server as a refused change."

    enum Admission {
        /// The new conflicts fit; these older ones from the same author on the same paths are replaced.
        case admitted(superseded: [Conflict])
        case refused(RejectionCode, String)
    }

    /// Adds new conflicts to the record within ``StorageLimits``: an author's newer held value on a
    /// path replaces their older open one (which stays, superseded, in the record's history, with
    /// its held value); past the limits the operation is refused, with nothing changed.
    func admit(_ opened: [Conflict], into record: inout RecordSnapshot) -> Admission {
        guard !opened.isEmpty else { return .admitted(superseded: []) }
        let replacing = Set(opened.map { ReplacementKey(path: $0.field, user: $0.heldBy.user) })
        let superseded = record.conflicts.filter { replacing.contains(ReplacementKey(path: $0.field, user: $0.heldBy.user)) }
        let kept = record.conflicts.filter { !replacing.contains(ReplacementKey(path: $0.field, user: $0.heldBy.user)) }
        if kept.count + opened.count > StorageLimits.maxOpenConflictsPerRecord {
            return .refused(
                .tooManyConflicts,
                "Record \(UUIDText.lowercase(record.id)) already has \(kept.count) open conflicts, the most a record may hold; resolve some (fieldsync conflicts) and send this change again. It is kept on the server as a refused change."
            )
        }
        let newBytes = context.conflictSizes.total(opened)
        context.budget.charge(newBytes / 16)
        if context.conflictSizes.total(kept) + newBytes > StorageLimits.maxOpenConflictBytesPerRecord {
            return .refused(
                .recordTooLarge,
                "The open conflicts of record \(UUIDText.lowercase(record.id)) would hold more than \(StorageLimits.maxOpenConflictBytesPerRecord / 1_048_576) MiB; resolve them (fieldsync conflicts) and send this change again. It is kept on the server as a refused change."
            )
        }
        record.conflicts = kept + opened
        return .admitted(
            superseded: superseded.map { old in
                // The held value and its author stay; the server's value it met is not copied again
                // (it is in the record's history at the version the conflict opened), so a stream of
                // superseded conflicts on a large field costs what the device sent, not the field's size.
                var old = old
                old.status = "superseded"
                old.current = .null
                return old
            })
    }

    private struct ReplacementKey: Hashable {
        let path: String
        let user: String
    }

    func touch(_ record: inout RecordSnapshot, _ version: Int64) {
        record.version = version
        record.updatedBy = context.author.user
        record.updatedAt = context.author.receivedAt
    }

    func history(_ version: Int64, _ op: ChangeOperation, _ outcome: Outcome, _ changes: HistoryChanges) -> HistoryEntry {
        HistoryEntry(version: version, operation: op.op, outcome: outcome, by: context.author, changes: changes)
    }

    func conflictSentence(_ conflicts: [Conflict]) -> String {
        let fields = conflicts.map(\.field).joined(separator: ", ")
        return
            "Someone else changed \(fields) differently at the same time; their value stays current and yours is held in a conflict until someone resolves it."
    }
}
