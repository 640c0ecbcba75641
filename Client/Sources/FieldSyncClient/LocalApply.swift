import FieldSyncProtocol
import Foundation

/// Applies an operation to the device's view of a record, optimistically: what the user sees
/// straight after an edit, before the server has answered.
///
/// When the server's copy moved on underneath an unsent edit, the edit is laid on top with the
/// same three-way merge the server uses; where the server would open a conflict, the device shows
/// its own value until the server's verdict comes back.
enum LocalApply {
    static func apply(_ op: ChangeOperation, to record: RecordSnapshot?, author: String, at time: String) -> RecordSnapshot? {
        switch op.op {
        case .create:
            guard record == nil, let kind = op.kind, let youngPerson = op.youngPerson else { return record }
            let fields = (op.fields ?? [:]).filter { !$0.value.isNull }
            return RecordSnapshot(
                id: op.record, kind: kind, youngPerson: youngPerson, state: op.state ?? kind.schema.lifecycle.defaultInitialState,
                stateVersion: 0, version: 0, deleted: false, fields: fields, fieldVersions: [:], createdBy: author,
                createdAt: time, updatedBy: author, updatedAt: time, conflicts: [])
        case .update:
            guard var record, !record.deleted else { return record }
            for (name, mine) in op.fields ?? [:] {
                guard let spec = record.kind.schema.field(name) else { continue }
                let current = record.fields[name] ?? .null
                let value: JSONValue
                switch FieldMerge.merge(field: name, kind: spec.kind, base: op.baseFields?[name] ?? .null, mine: mine, current: current) {
                case .unchanged: continue
                case .set(let merged, _): value = merged
                case .conflicted: value = mine
                }
                if value.isNull { record.fields.removeValue(forKey: name) } else { record.fields[name] = value }
            }
            record.updatedBy = author
            record.updatedAt = time
            return record
        case .transition:
            guard var record, let to = op.to, record.kind.schema.lifecycle.canMove(from: record.state, to: to) else { return record }
            record.state = to
            record.updatedBy = author
            record.updatedAt = time
            return record
        case .delete:
            guard var record else { return nil }
            record.deleted = true
            return record
        case .resolve:
            guard var record, let id = op.conflict, let conflict = record.conflicts.first(where: { $0.id == id }) else { return record }
            record.conflicts.removeAll { $0.id == id }
            let chosen: JSONValue? =
                switch op.choice {
                case .held?: conflict.held
                case .value?: op.value
                default: nil
                }
            if let chosen, let path = FieldPath(conflict.field) {
                record.fields = path.setting(chosen, in: record.fields)
            }
            return record
        }
    }
}
