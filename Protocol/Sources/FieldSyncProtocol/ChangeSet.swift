import Foundation

/// What one device sends in one go: its own id, its place in the device's order, and an
/// ordered list of operations that the server applies all or none.
///
/// The device and the user are not in the body: the server takes them from the bearer token.
public struct ChangeSet: Codable, Sendable, Hashable {
    /// Made on the device (a random UUID); the server answers a repeat of the same id with the first answer.
    public var id: UUID
    /// 1, 2, 3 … per device, in the order the device made them. The server applies them in this order.
    public var deviceSequence: Int64
    /// The device clock when the change set was made: kept as information, never used for ordering.
    public var madeAt: String
    public var operations: [ChangeOperation]

    public init(id: UUID = UUID(), deviceSequence: Int64, madeAt: String = WireTime.now(), operations: [ChangeOperation]) {
        self.id = id
        self.deviceSequence = deviceSequence
        self.madeAt = madeAt
        self.operations = operations
    }
}

/// The kinds of operation a change set can carry.
public enum OperationType: String, Codable, Sendable, CaseIterable {
    /// Make a new record with the id the device chose.
    case create
    /// Change some fields; each changed field names the value the device saw before (its base).
    case update
    /// Move the record to another state of its lifecycle.
    case transition
    /// Discard a record (a tombstone: the record stays in history).
    case delete
    /// Settle an open conflict: keep the current value, take the held one, or write a new value.
    case resolve
}

/// How a `resolve` operation settles a conflict.
public enum ResolutionChoice: String, Codable, Sendable {
    /// Keep the value that is current on the server.
    case current
    /// Replace it with the value held in the conflict.
    case held
    /// Write the value given in `value`.
    case value
}

/// One operation of a change set. A flat shape with optional members, so a device app in any
/// language builds it with a plain map; ``OperationCheck`` says which members each type needs.
public struct ChangeOperation: Codable, Sendable, Hashable {
    public var op: OperationType
    public var record: UUID
    /// create: the record kind.
    public var kind: RecordKind?
    /// create: the young person the record is about.
    public var youngPerson: UUID?
    /// create: the first state (defaults to the lifecycle's default).
    public var state: String?
    /// update, transition, delete, resolve: the server version of the record the device's view was at.
    public var base: Int64?
    /// create, update: the new values of the fields set.
    public var fields: [String: JSONValue]?
    /// update: for each field in `fields`, the value the device saw before its edit (`null` if unset).
    /// The server merges three-way against it.
    public var baseFields: [String: JSONValue]?
    /// transition: the state to move to.
    public var to: String?
    /// transition: a reason, where the lifecycle asks for one (a return).
    public var reason: String?
    /// resolve: the conflict being settled.
    public var conflict: UUID?
    /// resolve: how it is settled.
    public var choice: ResolutionChoice?
    /// resolve with choice `value`: the value to write.
    public var value: JSONValue?

    public init(
        op: OperationType, record: UUID, kind: RecordKind? = nil, youngPerson: UUID? = nil, state: String? = nil,
        base: Int64? = nil, fields: [String: JSONValue]? = nil, baseFields: [String: JSONValue]? = nil,
        to: String? = nil, reason: String? = nil, conflict: UUID? = nil, choice: ResolutionChoice? = nil,
        value: JSONValue? = nil
    ) {
        self.op = op
        self.record = record
        self.kind = kind
        self.youngPerson = youngPerson
        self.state = state
        self.base = base
        self.fields = fields
        self.baseFields = baseFields
        self.to = to
        self.reason = reason
        self.conflict = conflict
        self.choice = choice
        self.value = value
    }

    public static func create(
        _ record: UUID, kind: RecordKind, youngPerson: UUID, state: String? = nil, fields: [String: JSONValue]
    ) -> ChangeOperation {
        ChangeOperation(op: .create, record: record, kind: kind, youngPerson: youngPerson, state: state, fields: fields)
    }

    public static func update(
        _ record: UUID, base: Int64, fields: [String: JSONValue], baseFields: [String: JSONValue]
    ) -> ChangeOperation {
        ChangeOperation(op: .update, record: record, base: base, fields: fields, baseFields: baseFields)
    }

    public static func transition(_ record: UUID, base: Int64, to: String, reason: String? = nil) -> ChangeOperation {
        ChangeOperation(op: .transition, record: record, base: base, to: to, reason: reason)
    }

    public static func delete(_ record: UUID, base: Int64) -> ChangeOperation {
        ChangeOperation(op: .delete, record: record, base: base)
    }

    public static func resolve(
        _ record: UUID, base: Int64, conflict: UUID, choice: ResolutionChoice, value: JSONValue? = nil
    ) -> ChangeOperation {
        ChangeOperation(op: .resolve, record: record, base: base, conflict: conflict, choice: choice, value: value)
    }
}

extension ChangeOperation {
    /// The fields a create stores: those sent, less the nulls (an unset field is absent).
    public var createdFields: [String: JSONValue] { (fields ?? [:]).filter { !$0.value.isNull } }
}
