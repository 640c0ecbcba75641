import FieldSyncProtocol

/// Shared fixtures for the merge tests: a list schema like the visit record's agreed actions.
enum Fixtures {
    static let actions = ListSchema(itemFields: [
        "title": .text(maxLength: 2_000),
        "status": .scalar(.enumeration(["open", "done", "dropped"])),
        "owner": .scalar(.string(maxLength: 200)),
        "due": .scalar(.date),
    ])
    static let actionsKind = FieldKind.list(actions)

    static let id1 = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    static let id2 = "7C9E6679-7425-40DE-944B-E07FC1F90AE7"
    static let id3 = "0F8FAD5B-D9CB-469F-A165-70867728950E"
    static let id4 = "D9428888-122B-11E1-B85C-61CD3CBB3210"

    /// An item object with the given id and members.
    static func item(_ id: String, _ members: [String: JSONValue] = [:]) -> JSONValue {
        var object = members
        object["id"] = .string(id)
        return .object(object)
    }

    static func list(_ items: JSONValue...) -> JSONValue { .array(items) }

    /// The lower-cased ids of a list value, in order.
    static func ids(_ value: JSONValue) -> [String] {
        (value.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue?.lowercased() }
    }

    /// The value a merge leaves in the field.
    static func resultValue(_ result: FieldMergeResult, current: JSONValue) -> JSONValue {
        switch result {
        case .unchanged: current
        case .set(let value, _): value
        case .conflicted(let value, _): value
        }
    }

    static func parts(_ result: FieldMergeResult) -> [ConflictPart] {
        if case .conflicted(_, let parts) = result { return parts }
        return []
    }
}

/// Lines joined by "\n", to keep texts readable in tests.
func text(_ lines: String...) -> String { lines.joined(separator: "\n") }
