import FieldSyncProtocol
import Foundation

/// A change set as a request hands it to the writer: decoded, checked, and with the work that
/// does not depend on the store already done.
///
/// There is one writer thread and many request tasks; whatever a request can compute before it
/// queues (here, the JSON of each create's fields, which goes into both the record document and
/// its first history entry) is time taken off the one thread every push waits for.
struct PreparedChangeSet: Sendable {
    let changeSet: ChangeSet
    /// For each operation, when it is a create: `DirectJSON.fieldsObject(op.createdFields)`.
    let createdFieldsJSON: [[UInt8]?]

    init(_ changeSet: ChangeSet) {
        self.changeSet = changeSet
        createdFieldsJSON = changeSet.operations.map { op in
            op.op == .create ? DirectJSON.fieldsObject(op.createdFields) : nil
        }
    }
}

/// The writer's answer to one change set: the result, and the same result as the JSON bytes
/// stored for replays and sent back as the response body.
struct AppliedChangeSet: Sendable {
    let result: ChangeSetResult
    let json: Data
    /// Conflicts this change set opened, settled by a `resolve`, and closed as superseded (for metrics).
    var conflicts = ConflictTally()
    /// What it added to the feed, for the watches' scope check (empty for a replay).
    var feedChanges = FeedChanges()
}

/// How many conflicts one change set opened and closed.
struct ConflictTally: Sendable {
    var opened = 0
    var resolved = 0
    var superseded = 0
}
