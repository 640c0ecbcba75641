import Foundation

/// A record as the server holds it now: what a pull delivers and what a device stores.
public struct RecordSnapshot: Codable, Sendable, Hashable {
    public var id: UUID
    public var kind: RecordKind
    public var youngPerson: UUID
    public var state: String
    /// The server version at which the record entered its current state.
    public var stateVersion: Int64
    /// The server version: the feed position of the record's latest change.
    public var version: Int64
    /// A deleted record is a tombstone: it stays, with `deleted` true, so no device resurrects it.
    public var deleted: Bool
    public var fields: [String: JSONValue]
    /// For each field, the server version at which it last changed (what three-way merging keys on).
    public var fieldVersions: [String: Int64]
    public var createdBy: String
    public var createdAt: String
    public var updatedBy: String
    public var updatedAt: String
    /// Open conflicts on this record, with every side kept.
    public var conflicts: [Conflict]

    public init(
        id: UUID, kind: RecordKind, youngPerson: UUID, state: String, stateVersion: Int64, version: Int64, deleted: Bool,
        fields: [String: JSONValue], fieldVersions: [String: Int64], createdBy: String, createdAt: String,
        updatedBy: String, updatedAt: String, conflicts: [Conflict]
    ) {
        self.id = id
        self.kind = kind
        self.youngPerson = youngPerson
        self.state = state
        self.stateVersion = stateVersion
        self.version = version
        self.deleted = deleted
        self.fields = fields
        self.fieldVersions = fieldVersions
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
        self.conflicts = conflicts
    }
}

/// Who wrote a value, from which device, and when (device clock and server clock).
public struct Authorship: Codable, Sendable, Hashable {
    public var user: String
    public var device: UUID
    public var changeSet: UUID
    public var madeAt: String
    public var receivedAt: String

    public init(user: String, device: UUID, changeSet: UUID, madeAt: String, receivedAt: String) {
        self.user = user
        self.device = device
        self.changeSet = changeSet
        self.madeAt = madeAt
        self.receivedAt = receivedAt
    }
}

/// A place where two concurrent edits could not both be taken. The current value stays on the
/// record; the other is held here in full until someone resolves it.
public struct Conflict: Codable, Sendable, Hashable {
    public var id: UUID
    public var record: UUID
    /// The field, e.g. `childViews`; for a list item member, `actions[<item id>].status`;
    /// `(record)` for a delete that met an edit.
    public var field: String
    /// The value both sides started from.
    public var base: JSONValue
    /// The value current on the server when the conflict arose.
    public var current: JSONValue
    /// The value that could not be applied, held here in full.
    public var held: JSONValue
    public var heldBy: Authorship
    public var openedAt: String
    public var status: String
    public var resolution: ConflictResolution?

    public init(
        id: UUID, record: UUID, field: String, base: JSONValue, current: JSONValue, held: JSONValue,
        heldBy: Authorship, openedAt: String, status: String = "open", resolution: ConflictResolution? = nil
    ) {
        self.id = id
        self.record = record
        self.field = field
        self.base = base
        self.current = current
        self.held = held
        self.heldBy = heldBy
        self.openedAt = openedAt
        self.status = status
        self.resolution = resolution
    }
}

/// How and by whom a conflict was settled.
public struct ConflictResolution: Codable, Sendable, Hashable {
    public var choice: ResolutionChoice
    public var value: JSONValue
    public var by: Authorship

    public init(choice: ResolutionChoice, value: JSONValue, by: Authorship) {
        self.choice = choice
        self.value = value
        self.by = by
    }
}
