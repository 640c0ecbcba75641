/// The fields, states and rules of one record kind.
public struct RecordSchema: Sendable {
    public let kind: RecordKind
    public let fields: [String: FieldSpec]
    /// Field names in the order people read them (for `show` and docs).
    public let fieldOrder: [String]
    public let lifecycle: Lifecycle

    init(kind: RecordKind, fields: [FieldSpec], lifecycle: Lifecycle) {
        self.kind = kind
        self.fields = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        self.fieldOrder = fields.map(\.name)
        self.lifecycle = lifecycle
    }

    public func field(_ name: String) -> FieldSpec? { fields[name] }
}

/// A record kind's states, which transitions are allowed, which states accept edits, and the
/// checks a record must pass before it may enter a state.
public struct Lifecycle: Sendable {
    public let initialStates: [String]
    public let defaultInitialState: String
    public let transitions: [String: [String]]
    public let editableStates: Set<String>
    /// States a record may be deleted (discarded) in.
    public let deletableStates: Set<String>
    /// States that send a record back to its author: entering one needs a reason.
    public let returnStates: Set<String>
    /// Checks run when a record enters a state; each returns the problems found (empty when fine).
    public let entryChecks: [String: @Sendable ([String: JSONValue]) -> [String]]

    public var allStates: [String] {
        var seen: [String] = []
        for s in initialStates + transitions.keys.sorted() + transitions.values.flatMap({ $0 }) where !seen.contains(s) {
            seen.append(s)
        }
        return seen
    }

    public func canMove(from: String, to: String) -> Bool { transitions[from]?.contains(to) ?? false }

    public func isReturn(_ state: String) -> Bool { returnStates.contains(state) }
}
