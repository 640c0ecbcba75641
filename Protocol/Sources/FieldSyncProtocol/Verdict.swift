import Foundation

/// What became of one operation.
public enum Outcome: String, Codable, Sendable {
    /// Applied as sent.
    case applied
    /// Applied, merged with concurrent changes from others (nothing of either side lost).
    case merged
    /// Part or all of it meets a concurrent different change: the server's value stays current
    /// and this operation's value is held in a conflict (see `conflicts`).
    case conflict
    /// Refused for its content (a rule, a state, a permission). Kept on the server with the reason.
    case rejected
}

/// The server's verdict on one operation of a change set.
public struct OperationVerdict: Codable, Sendable, Hashable {
    public var index: Int
    public var record: UUID
    public var outcome: Outcome
    /// The record's server version after this operation (absent when nothing changed).
    public var version: Int64?
    /// For a rejection: a machine-readable code and a sentence for people.
    public var code: String?
    public var message: String?
    /// Conflicts this operation opened (or, for `resolve`, settled).
    public var conflicts: [UUID]?

    public init(
        index: Int, record: UUID, outcome: Outcome, version: Int64? = nil, code: String? = nil,
        message: String? = nil, conflicts: [UUID]? = nil
    ) {
        self.index = index
        self.record = record
        self.outcome = outcome
        self.version = version
        self.code = code
        self.message = message
        self.conflicts = conflicts
    }
}

/// The server's answer to a pushed change set. A repeat of the same change set gets the same
/// answer back, with `replayed` true.
public struct ChangeSetResult: Codable, Sendable, Hashable {
    public var changeSet: UUID
    public var deviceSequence: Int64
    public var verdicts: [OperationVerdict]
    /// When the server applied it (server clock).
    public var appliedAt: String
    public var replayed: Bool

    public init(changeSet: UUID, deviceSequence: Int64, verdicts: [OperationVerdict], appliedAt: String, replayed: Bool) {
        self.changeSet = changeSet
        self.deviceSequence = deviceSequence
        self.verdicts = verdicts
        self.appliedAt = appliedAt
        self.replayed = replayed
    }
}
