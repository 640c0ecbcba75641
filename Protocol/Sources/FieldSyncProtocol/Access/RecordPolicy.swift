import FieldSyncProtocol
import Foundation

/// The one place every operation's effect on a record is checked against the permission matrix
/// (``PermissionMatrix``) and the record's lifecycle. Creates, updates, moves, deletes and
/// resolutions all come here; a resolution is checked as the edit it makes.
///
/// The server checks against its current record, never the device's idea of it, and decides.
/// A device checks its own view before it queues an edit, so a worker hears at once, in the
/// server's words, what the server would refuse (what the device cannot know, such as who else
/// wrote a record, it leaves to the server).
public struct RecordPolicy {
    public let actor: Actor
    /// Whether the user wrote any of the record's content (for segregation of duties).
    public let contributed: (_ record: UUID, _ user: String) throws -> Bool

    public init(actor: Actor, contributed: @escaping (_ record: UUID, _ user: String) throws -> Bool) {
        self.actor = actor
        self.contributed = contributed
    }

    /// What an intended write of some fields gets.
    public enum EditCheck {
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
    public func edit(_ record: RecordSnapshot, fields: some Sequence<String>, settling: Bool = false) -> EditCheck {
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

    public func create(kind: RecordKind, fields: some Sequence<String>, state: String) -> (RejectionCode, String)? {
        if case .forbidden(let why) = PermissionMatrix.create(kind: kind, fields: fields, initialState: state, by: actor) {
            return (.forbidden, why)
        }
        return nil
    }

    public func move(_ record: RecordSnapshot, to: String) throws -> (RejectionCode, String)? {
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
    public func discard(_ record: RecordSnapshot, checkState: Bool = true) -> (RejectionCode, String)? {
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

    /// Whether a record may move to `to` now: the lifecycle, the matrix, a reason for a return,
    /// no open conflict when it leaves its editable states, and the state's entry checks.
    /// Nil when it may (moving to the state it is in is not checked: it changes nothing).
    public func transition(_ record: RecordSnapshot, to: String, reason: String?) throws -> (RejectionCode, String)? {
        let lifecycle = record.kind.schema.lifecycle
        guard lifecycle.canMove(from: record.state, to: to) else {
            let allowed = lifecycle.transitions[record.state] ?? []
            let options = allowed.isEmpty ? "no other state" : allowed.joined(separator: " or ")
            return (.transitionNotAllowed, "A \(record.state) \(record.kind.rawValue) record can move to \(options), not \(to).")
        }
        if let refusal = try move(record, to: to) { return refusal }
        if lifecycle.isReturn(to), (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return (.transitionCheckFailed, "Returning a record needs a reason the author can act on.")
        }
        if !lifecycle.editableStates.contains(to), !record.conflicts.isEmpty {
            return (
                .transitionCheckFailed,
                "Record \(record.id) has \(record.conflicts.count) open conflict(s); resolve them (fieldsync conflicts) before moving it to \(to)."
            )
        }
        if let check = lifecycle.entryChecks[to] {
            let problems = check(record.fields)
            if !problems.isEmpty {
                return (.transitionCheckFailed, "The \(record.kind.rawValue) cannot become \(to) yet: \(problems.joined(separator: " "))")
            }
        }
        return nil
    }

    /// Why an edit of a record its state does not take is refused (``EditCheck/locked(notYours:)``),
    /// and what the user can do instead.
    public static func lockedEdit(_ record: RecordSnapshot, notYours: String?) -> String {
        if let notYours { return notYours }
        let offer =
            record.kind == .visit
            ? "Add it as an addendum, or ask for the visit to be returned." : "Ask for the PEP to be returned for amendment."
        return "A \(record.state) \(record.kind.rawValue) record cannot be edited. \(offer)"
    }
}
