import FieldSyncProtocol
import Foundation

/// What the mutator needs to know about the change set an operation belongs to.
struct MutationContext {
    let author: Authorship
    let device: AuthenticatedDevice
    /// What the device's user may see and change, worked out once per change set.
    let scope: AccessScope
    /// Hands out the next feed version. Each operation that changes a record takes one.
    let allocateVersion: () -> Int64
    /// The latest version after `base` at which a device other than the author's changed the
    /// record, or nil. A device has always seen its own changes, so only others' count as stale.
    let changedByOthersSince: (_ record: UUID, _ base: Int64) throws -> Int64?
    /// Finds a conflict by id, open or resolved.
    let loadConflict: (_ id: UUID) throws -> Conflict?
}

/// What applying one operation gives: the verdict, and what to store.
struct MutationResult {
    var verdict: OperationVerdict
    /// The record's new state; nil when the operation changed nothing.
    var record: RecordSnapshot?
    var history: HistoryEntry?
    var openedConflicts: [Conflict] = []
    var resolvedConflict: Conflict?
    /// For a rejection: the code and sentence, kept with the operation.
    var rejection: (code: String, message: String)?

    static func rejected(_ index: Int, _ op: ChangeOperation, _ code: RejectionCode, _ message: String) -> MutationResult {
        MutationResult(
            verdict: OperationVerdict(index: index, record: op.record, outcome: .rejected, code: code.rawValue, message: message),
            record: nil, history: nil, rejection: (code.rawValue, message))
    }
}
