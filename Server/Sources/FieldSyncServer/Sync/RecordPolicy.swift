import FieldSyncProtocol
import Foundation

/// The one place every operation's effect on a record is checked against the permission matrix
/// (``PermissionMatrix``) and the record's lifecycle, using the server's current record, never
/// the device's idea of it. Creates, updates, moves, deletes and resolutions all come here; a
/// resolution is checked as the edit it makes.
struct RecordPolicy {
    let actor: Actor
    /// Whether the user wrote any of the record's content (for segregation of duties).
    let contributed: (_ record: UUID, _ user: String) throws -> Bool

    /// What an intended write of some fields gets.
    enum EditCheck {
        /// Allowed; these fields must only grow (append-only lists), checked against the server's value.
        case allowed(appendOnly: Set<String>)
        case refused(RejectionCode, String)
        /// The record's state does not take this edit (the caller words it: stale or not).
        /// `notYours`: why, when the record is open but this part is not the user's in this state
        /// (``PermissionMatrix/notYetYours(_:kind:state:by:)``); nil when it is locked for everyone.
        case locked(notYours: String?)
    }

    /// `settling`: the change keeps a side of a conflict rather than writing a new value
    /// (``PermissionMatrix/settle(_:kind:state:createdBy:by:)``).
    func edit(_ record: RecordSnapshot, fields: some Sequence<String>, settling: Bool = false) -> EditCheck {
        var appendOnly: Set<String> = []
        var locked = false
        var notYours: String?
        for field in Set(fields).sorted() {
            guard let group = FieldGroup.of(field, in: record.kind) else { continue }  // the caller refuses unknown fields
            let decide = settling ? PermissionMatrix.settle : PermissionMatrix.write
            switch decide(group, record.kind, record.state, record.createdBy, actor) {
            case .allowed(let conditions):
                if conditions.contains(.appendOnly) { appendOnly.insert(field) }
            case .forbidden(let why):
                return .refused(.forbidden, why)
            case .notInThisState:
                locked = true
                notYours = notYours ?? PermissionMatrix.notYetYours(group, kind: record.kind, state: record.state, by: actor)
            }
        }
        return locked ? .locked(notYours: notYours) : .allowed(appendOnly: appendOnly)
    }

    func create(kind: RecordKind, fields: some Sequence<String>, state: String) -> (RejectionCode, String)? {
        if case .forbidden(let why) = PermissionMatrix.create(kind: kind, fields: fields, initialState: state, by: actor) {
            return (.forbidden, why)
        }
        return nil
    }

    func move(_ record: RecordSnapshot, to: String) throws -> (RejectionCode, String)? {
        let needsContribution = PermissionMatrix.moves.contains {
            $0.kind == record.kind && $0.from == record.state && $0.to == to && $0.conditions.contains(.segregated)
        }
        let contributed = needsContribution ? try self.contributed(record.id, actor.user) : false
        switch PermissionMatrix.move(
            kind: record.kind, from: record.state, to: to, createdBy: record.createdBy, contributed: contributed, by: actor)
        {
        case .forbidden(let why): return (.forbidden, why)
        case .allowed, .notInThisState: return nil
        }
    }

    /// Discarding the record, or deciding a delete-versus-edit conflict either way.
    func discard(_ record: RecordSnapshot, checkState: Bool = true) -> (RejectionCode, String)? {
        if case .forbidden(let why) = PermissionMatrix.delete(kind: record.kind, createdBy: record.createdBy, by: actor) {
            return (.forbidden, why)
        }
        let lifecycle = record.kind.schema.lifecycle
        if checkState, !lifecycle.deletableStates.contains(record.state) {
            return (
                .notEditable,
                "A \(record.state) \(record.kind.rawValue) record cannot be deleted; only \(lifecycle.deletableStates.sorted().joined(separator: " or ")) records can be discarded."
            )
        }
        return nil
    }
}

/// Lists that only grow (addenda after authorisation): every item on the server stays exactly as
/// it is, and the device's new items are added after them.
enum AppendOnlyList {
    enum Outcome: Equatable {
        /// `mine` adds nothing the server does not hold.
        case unchanged
        /// The server's items followed by `mine`'s new ones.
        case appended(JSONValue)
        /// `mine` changes or removes an item the server holds.
        case refused
    }

    static func append(current: JSONValue, mine: JSONValue, base: JSONValue) -> Outcome {
        let held = (current.arrayValue ?? []).compactMap(\.objectValue)
        let byId = Dictionary(held.map { (itemId($0).lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        guard let proposed = mine.arrayValue?.compactMap(\.objectValue) else { return .refused }
        let proposedIds = Set(proposed.map { itemId($0).lowercased() })
        // Removing an item the device knew about (in its base) and the server still has.
        for item in (base.arrayValue ?? []).compactMap(\.objectValue) {
            let id = itemId(item).lowercased()
            if byId[id] != nil, !proposedIds.contains(id) { return .refused }
        }
        var added: [JSONValue] = []
        for item in proposed {
            let id = itemId(item).lowercased()
            if let existing = byId[id] {
                if existing != item { return .refused }
            } else {
                added.append(.object(item))
            }
        }
        guard !added.isEmpty else { return .unchanged }
        return .appended(.array(held.map(JSONValue.object) + added))
    }
}

extension AppendOnlyList {
    /// An item's id as lists compare it (UUID text, any case).
    static func itemId(_ item: [String: JSONValue]) -> String { item["id"]?.stringValue ?? "" }
}
