import FieldSyncProtocol
import Foundation

/// What the mutator needs to know about the change set an operation belongs to.
struct MutationContext {
    let author: Authorship
    let device: AuthenticatedDevice
    /// What the device's user may see and change, worked out once per change set.
    let scope: AccessScope
    /// What the user may do to a record in scope: every operation's effect goes through it.
    let policy: RecordPolicy
    /// The merge work the whole change set may still do (shared by its operations).
    let budget: MergeBudget
    /// The open conflicts' sizes, kept per change set so each is measured once.
    let conflictSizes: ConflictSizes
    /// Hands out the next feed version. Each operation that changes a record takes one.
    let allocateVersion: () -> Int64
    /// The latest version after `base` at which a device other than the author's changed the
    /// record, or nil. A device has always seen its own changes, so only others' count as stale.
    let changedByOthersSince: (_ record: UUID, _ base: Int64) throws -> Int64?
    /// Whether the user has a version in the record's history (worked on it before).
    let wroteBefore: (_ record: UUID, _ user: String) throws -> Bool
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
    /// Open conflicts replaced by a newer held value from the same author on the same path.
    var supersededConflicts: [Conflict] = []
    /// For a rejection: the code and sentence, kept with the operation.
    var rejection: (code: String, message: String)?
    /// For a rejection of a write outside the user's scope: kept, but not in that record's history.
    var outsideScope = false

    static func rejected(_ index: Int, _ op: ChangeOperation, _ code: RejectionCode, _ message: String) -> MutationResult {
        MutationResult(
            verdict: OperationVerdict(index: index, record: op.record, outcome: .rejected, code: code.rawValue, message: message),
            record: nil, history: nil, rejection: (code.rawValue, message))
    }
}

/// Bounds on what one record may hold, so that no device can make a record (which goes whole to
/// every device that may see it) or the store grow without limit through conflicts.
enum StorageLimits {
    /// Open conflicts one record may hold; an operation that would open more is refused.
    static let maxOpenConflictsPerRecord = 20
    /// Bytes (about) the open conflicts of one record may hold in all.
    static let maxOpenConflictBytesPerRecord = 4 * 1024 * 1024
}

/// Sizes of open conflicts, measured once each per change set.
final class ConflictSizes {
    private var known: [UUID: Int] = [:]

    func size(of conflict: Conflict) -> Int {
        if let size = known[conflict.id] { return size }
        let size = conflict.base.estimatedBytes + conflict.current.estimatedBytes + conflict.held.estimatedBytes + 256
        known[conflict.id] = size
        return size
    }

    func total(_ conflicts: [Conflict]) -> Int { conflicts.reduce(0) { $0 + size(of: $1) } }
}

extension JSONValue {
    /// About the bytes of this value's JSON (strings counted in UTF-8, without escapes).
    var estimatedBytes: Int {
        switch self {
        case .null, .bool: 5
        case .integer, .number: 12
        case .string(let s): s.utf8.count + 2
        case .array(let items): items.reduce(2) { $0 + $1.estimatedBytes + 1 }
        case .object(let members): members.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.estimatedBytes }
        }
    }
}
