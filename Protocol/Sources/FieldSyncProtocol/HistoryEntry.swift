import Foundation

/// One version of a record: who changed it, from which device, when, and what they changed.
/// `GET /v1/records/{id}/history` lists them oldest first.
public struct HistoryEntry: Codable, Sendable, Hashable {
    public var version: Int64
    public var operation: OperationType
    public var outcome: Outcome
    public var by: Authorship
    public var changes: HistoryChanges

    public init(version: Int64, operation: OperationType, outcome: Outcome, by: Authorship, changes: HistoryChanges) {
        self.version = version
        self.operation = operation
        self.outcome = outcome
        self.by = by
        self.changes = changes
    }
}

/// What one version changed.
public struct HistoryChanges: Codable, Sendable, Hashable {
    /// Fields set by this version, with their new values (null: cleared).
    public var fields: [String: JSONValue]?
    /// The state entered, for a create or a transition.
    public var state: String?
    public var reason: String?
    public var deleted: Bool?
    public var conflictsOpened: [UUID]?
    public var conflictResolved: UUID?

    public init(
        fields: [String: JSONValue]? = nil, state: String? = nil, reason: String? = nil, deleted: Bool? = nil,
        conflictsOpened: [UUID]? = nil, conflictResolved: UUID? = nil
    ) {
        self.fields = fields
        self.state = state
        self.reason = reason
        self.deleted = deleted
        self.conflictsOpened = conflictsOpened
        self.conflictResolved = conflictResolved
    }
}

/// `GET /v1/records/{id}/history`.
public struct HistoryPage: Codable, Sendable {
    public var record: UUID
    public var versions: [HistoryEntry]
    /// Operations on this record that were refused, with the reason and the values they carried.
    public var rejections: [RejectedChange]
    /// Every conflict the record has had, open and resolved, with every side and the resolution.
    public var conflicts: [Conflict]

    public init(record: UUID, versions: [HistoryEntry], rejections: [RejectedChange], conflicts: [Conflict]) {
        self.record = record
        self.versions = versions
        self.rejections = rejections
        self.conflicts = conflicts
    }
}

/// An operation the server refused for its content, kept with everything it carried.
public struct RejectedChange: Codable, Sendable, Hashable {
    public var changeSet: UUID
    public var index: Int
    public var code: String
    public var message: String
    public var by: String
    public var receivedAt: String
    public var operation: ChangeOperation

    public init(changeSet: UUID, index: Int, code: String, message: String, by: String, receivedAt: String, operation: ChangeOperation) {
        self.changeSet = changeSet
        self.index = index
        self.code = code
        self.message = message
        self.by = by
        self.receivedAt = receivedAt
        self.operation = operation
    }
}
