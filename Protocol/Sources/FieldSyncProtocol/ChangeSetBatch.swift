import Foundation

/// `POST /v1/changesets/batch`: several change sets of one device in one request, oldest first,
/// each applied as if it had been sent alone (its own verdicts, exactly once by its id, in the
/// device's order). A device on a slow link sends its outbox in a few round trips instead of one
/// per change set.
public struct ChangeSetBatch: Codable, Sendable {
    public var changeSets: [ChangeSet]

    public init(changeSets: [ChangeSet]) { self.changeSets = changeSets }

    /// The most change sets one batch may hold.
    public static let maxChangeSets = 50
}

/// The answer to a batch: one entry per change set sent, in the order sent. Each holds the
/// change set's result, or the refusal it would have had alone (its HTTP status and error).
public struct ChangeSetBatchResult: Codable, Sendable {
    public var results: [Entry]

    public init(results: [Entry]) { self.results = results }

    public struct Entry: Codable, Sendable {
        public var changeSet: UUID
        public var result: ChangeSetResult?
        /// With `error`: the status the change set would have been answered alone (400, 409, 413 …).
        public var status: Int?
        public var error: ErrorBody.Detail?

        public init(changeSet: UUID, result: ChangeSetResult? = nil, status: Int? = nil, error: ErrorBody.Detail? = nil) {
            self.changeSet = changeSet
            self.result = result
            self.status = status
            self.error = error
        }
    }
}
