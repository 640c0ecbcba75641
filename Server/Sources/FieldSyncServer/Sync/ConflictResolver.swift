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
            if let settled = try context.loadConflict(conflictId), settled.status == "resolved" {
                let by = settled.resolution.map { " by \($0.by.user) at \($0.by.receivedAt)" } ?? ""
                return .rejected(
                    index, op, .conflictAlreadyResolved,
                    "Conflict \(conflictId) was already resolved\(by); your choice is kept with this refusal. Check the record and edit it if it still needs changing.")
            }
            return .rejected(index, op, .conflictNotFound, "Record \(op.record) has no conflict \(conflictId).")
        }
        var conflict = record.conflicts[position]
        let version = context.allocateVersion()
        var changed: [String: JSONValue] = [:]
        var opened: [Conflict] = []
        let chosen: JSONValue

        if conflict.field == Self.recordPath {
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
                    index, op, .invalidValue, "This conflict is a delete that met an edit: resolve it with 'current' (keep the record) or 'held' (delete it).")
            }
        } else {
            guard let path = FieldPath(conflict.field) else {
                return .rejected(index, op, .conflictNotFound, "Conflict \(conflictId) names a field this server cannot read.")
            }
            let fieldName = path.field
            guard let spec = record.kind.schema.field(fieldName) else {
                return .rejected(index, op, .kindMismatch, "A \(record.kind.rawValue) record has no field '\(fieldName)'.")
            }
            let present = path.value(in: record.fields)
            switch choice {
            case .current: chosen = present
            case .held: chosen = conflict.held
            case .value: chosen = op.value ?? .null
            }
            if choice != .current {
                let proposed = path.setting(chosen, in: record.fields)
                do {
                    try FieldValidation.checkValue(
                        proposed[fieldName] ?? .null, against: spec.kind, path: fieldName, context: "the resolution")
                } catch {
                    return .rejected(index, op, .invalidValue, error.message)
                }
                if present == conflict.current || present == chosen {
                    // Nobody changed it since the conflict opened: write the chosen value.
                    for (name, v) in proposed where record.fields[name] != v {
                        changed[name] = v
                    }
                } else if path.description == fieldName {
                    // The field moved on since the conflict opened: merge against what the resolver saw.
                    switch FieldMerge.merge(field: fieldName, kind: spec.kind, base: conflict.current, mine: chosen, current: present) {
                    case .unchanged: break
                    case .set(let v, _): changed[fieldName] = v
                    case .conflicted(let v, let parts):
                        if v != present { changed[fieldName] = v }
                        opened = parts.map { newConflict($0, record: record.id) }
                    }
                } else {
                    opened = [newConflict(ConflictPart(path: conflict.field, base: conflict.current, current: present, held: chosen), record: record.id)]
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
        record.conflicts += opened
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
            openedConflicts: opened, resolvedConflict: conflict)
    }

    func newConflict(_ part: ConflictPart, record: UUID) -> Conflict {
        Conflict(
            id: UUID(), record: record, field: part.path, base: part.base, current: part.current, held: part.held,
            heldBy: context.author, openedAt: context.author.receivedAt)
    }
}
