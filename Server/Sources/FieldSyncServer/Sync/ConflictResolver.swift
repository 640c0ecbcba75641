import FieldSyncProtocol
import Foundation

/// Settles a conflict with a `resolve` operation (contract 4.6): keep the current value, take
/// the held one, or write a new value. The resolution is recorded with who made it.
///
/// A resolution is an edit like any other: if the field changed again after the conflict opened
/// (another device edited it meanwhile), the resolution merges three-way against the value the
/// resolver saw, and may itself open a new conflict, so nothing either side wrote is lost.
struct ConflictResolver {
    /// The conflict path of a delete that met an edit, or an edit that met a delete.
    static let recordPath = "(record)"

    let context: MutationContext

    func resolve(_ op: ChangeOperation, index: Int, current: RecordSnapshot?) throws -> MutationResult {
        guard var record = current, let conflictId = op.conflict, let choice = op.choice else {
            return .rejected(index, op, .recordNotFound, "There is no record \(op.record) on the server.")
        }
        guard let position = record.conflicts.firstIndex(where: { $0.id == conflictId }) else {
            if let settled = try context.loadConflict(conflictId), settled.record == record.id, settled.status != "open" {
                // Who settled it is named only to themselves (the record's history shows the rest to those who may see it).
                let by =
                    settled.resolution.map {
                        $0.by.user == context.author.user ? " by you at \($0.by.receivedAt)" : " at \($0.by.receivedAt)"
                    } ?? ""
                return .rejected(
                    index, op, .conflictAlreadyResolved,
                    "Conflict \(conflictId) was already resolved\(by); your choice is kept with this refusal. Check the record and edit it if it still needs changing."
                )
            }
            return .rejected(index, op, .conflictNotFound, "Record \(op.record) has no conflict \(conflictId).")
        }
        var conflict = record.conflicts[position]
        let version = context.allocateVersion()
        var changed: [String: JSONValue] = [:]
        var opened: [Conflict] = []
        let chosen: JSONValue

        if conflict.field == Self.recordPath {
            // Deciding a delete-versus-edit conflict either way is a discard decision; taking the
            // delete is a delete (so the state must allow one); restoring is also the edit it writes.
            if let (code, why) = context.policy.discard(record, checkState: !record.deleted && choice == .held) {
                return .rejected(index, op, code, why + RecordMutator.kept)
            }
            switch (record.deleted, choice) {
            case (_, .current):
                chosen = record.deleted ? .null : .object(record.fields)
            case (true, .held), (true, .value):
                // Restore the deleted record with the held (or given) fields.
                let value = choice == .held ? conflict.held : (op.value ?? .null)
                guard case .object(let fields) = value else {
                    return .rejected(index, op, .invalidValue, "To restore the record, give its fields as an object.")
                }
                do { try FieldValidation.check(fields, of: record.kind, context: "the resolution") } catch {
                    return .rejected(index, op, .invalidValue, error.message)
                }
                switch context.policy.edit(record, fields: fields.keys) {
                case .refused(let code, let why): return .rejected(index, op, code, why + RecordMutator.kept)
                case .locked:
                    return .rejected(
                        index, op, .notEditable,
                        "A \(record.state) \(record.kind.rawValue) record cannot take these fields, so it was not restored.\(RecordMutator.kept)"
                    )
                case .allowed: break
                }
                record.deleted = false
                for (name, v) in fields {
                    if v.isNull { record.fields.removeValue(forKey: name) } else { record.fields[name] = v }
                    record.fieldVersions[name] = version
                    changed[name] = v
                }
                chosen = value
            case (false, .held):
                record.deleted = true
                chosen = .null
            case (false, .value):
                return .rejected(
                    index, op, .invalidValue,
                    "This conflict is a delete that met an edit: resolve it with 'current' (keep the record) or 'held' (delete it).")
            }
        } else {
            guard let path = FieldPath(conflict.field) else {
                return .rejected(index, op, .conflictNotFound, "Conflict \(conflictId) names a field this server cannot read.")
            }
            let fieldName = path.field
            guard let spec = record.kind.schema.field(fieldName) else {
                return .rejected(index, op, .kindMismatch, "A \(record.kind.rawValue) record has no field '\(fieldName)'.")
            }
            // Settling a field's conflict, whichever side is kept, is writing that field: the same
            // rules as an edit, in the record's current state.
            let appendOnly: Bool
            switch context.policy.edit(record, fields: [fieldName], settling: choice != .value) {
            case .refused(let code, let why): return .rejected(index, op, code, why + RecordMutator.kept)
            case .locked:
                return .rejected(
                    index, op, .notEditable,
                    "A \(record.state) \(record.kind.rawValue) record's \(fieldName) cannot be changed, so this conflict cannot be settled by you now.\(RecordMutator.kept)"
                )
            case .allowed(let fields): appendOnly = fields.contains(fieldName)
            }
            let present = path.value(in: record.fields)
            switch choice {
            case .current: chosen = present
            case .held: chosen = conflict.held
            case .value: chosen = op.value ?? .null
            }
            if choice != .current {
                var proposed = path.setting(chosen, in: record.fields)
                do {
                    try FieldValidation.checkValue(
                        proposed[fieldName] ?? .null, against: spec.kind, path: fieldName, context: "the resolution")
                } catch {
                    return .rejected(index, op, .invalidValue, error.message)
                }
                if appendOnly {
                    // Checked against the server's list: what it holds is never rewritten.
                    let held = record.fields[fieldName] ?? .null
                    switch AppendOnlyList.append(current: held, mine: proposed[fieldName] ?? .null, base: held) {
                    case .unchanged: proposed[fieldName] = held
                    case .appended(let value): proposed[fieldName] = value
                    case .refused:
                        return .rejected(
                            index, op, .notEditable,
                            "A \(record.state) \(record.kind.rawValue) record takes new \(fieldName) only; the ones it holds are never changed.\(RecordMutator.kept)"
                        )
                    }
                }
                if appendOnly || present == conflict.current || present == chosen {
                    // Nobody changed it since the conflict opened: write the chosen value.
                    for (name, v) in proposed where record.fields[name] != v {
                        changed[name] = v
                    }
                } else if path.description == fieldName {
                    // The field moved on since the conflict opened: merge against what the resolver saw.
                    switch FieldMerge.merge(
                        field: fieldName, kind: spec.kind, base: conflict.current, mine: chosen, current: present, budget: context.budget)
                    {
                    case .unchanged: break
                    case .set(let v, _): changed[fieldName] = v
                    case .conflicted(let v, let parts):
                        if v != present { changed[fieldName] = v }
                        opened = parts.map { newConflict($0, record: record.id) }
                    }
                } else {
                    opened = [
                        newConflict(
                            ConflictPart(path: conflict.field, base: conflict.current, current: present, held: chosen), record: record.id)
                    ]
                }
                for (name, v) in changed {
                    if v.isNull { record.fields.removeValue(forKey: name) } else { record.fields[name] = v }
                    record.fieldVersions[name] = version
                }
            }
        }
        conflict.status = "resolved"
        conflict.resolution = ConflictResolution(choice: choice, value: chosen, by: context.author)
        record.conflicts.remove(at: position)
        let superseded: [Conflict]
        switch RecordMutator(context: context).admit(opened, into: &record) {
        case .refused(let code, let why): return .rejected(index, op, code, why)
        case .admitted(let replaced): superseded = replaced
        }
        record.version = version
        record.updatedBy = context.author.user
        record.updatedAt = context.author.receivedAt
        let outcome: Outcome = opened.isEmpty ? .applied : .conflict
        return MutationResult(
            verdict: OperationVerdict(
                index: index, record: op.record, outcome: outcome, version: version,
                message: opened.isEmpty ? nil : "The field changed again while you resolved it; your choice is held in a new conflict.",
                conflicts: [conflictId] + opened.map(\.id)),
            record: record,
            history: HistoryEntry(
                version: version, operation: .resolve, outcome: outcome, by: context.author,
                changes: HistoryChanges(
                    fields: changed.isEmpty ? nil : changed, deleted: record.deleted ? true : nil,
                    conflictsOpened: opened.isEmpty ? nil : opened.map(\.id), conflictResolved: conflictId)),
            openedConflicts: opened, resolvedConflict: conflict, supersededConflicts: superseded)
    }

    func newConflict(_ part: ConflictPart, record: UUID) -> Conflict {
        Conflict(
            id: UUID(), record: record, field: part.path, base: part.base, current: part.current, held: part.held,
            heldBy: context.author, openedAt: context.author.receivedAt)
    }
}
