/// What kind of value a field holds, which decides how it is validated and how it merges.
///
/// - ``scalar(_:)``: one value (a date, an enum, a flag, a small structured value). Two different
///   concurrent values are a conflict.
/// - ``text(maxLength:)``: free text written by people. Merged three-way by line.
/// - ``list(_:)``: a list whose items carry their own `id`. Merged item by item.
public indirect enum FieldKind: Sendable, Hashable {
    case scalar(ScalarType)
    case text(maxLength: Int)
    case list(ListSchema)

    public var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .text: "text"
        case .list: "list"
        }
    }
}

/// The type of a scalar value.
public indirect enum ScalarType: Sendable, Hashable {
    /// A short string (names, codes, labels).
    case string(maxLength: Int)
    case boolean
    case integer(min: Int64, max: Int64)
    case decimal(min: Double, max: Double)
    /// A calendar date `YYYY-MM-DD` (Europe/London local date).
    case date
    /// An instant, ISO 8601 with a zone, e.g. `2026-11-22T09:30:00Z`.
    case instant
    case enumeration([String])
    case uuid
    /// A list of short strings, replaced as a whole.
    case stringList(maxCount: Int, maxLength: Int)
    /// A small structured value with named members, replaced as a whole.
    case object([String: ScalarType])

    public var description: String {
        switch self {
        case .string: "a string"
        case .boolean: "true or false"
        case .integer(let min, let max): "a whole number from \(min) to \(max)"
        case .decimal(let min, let max): "a number from \(min) to \(max)"
        case .date: "a date written YYYY-MM-DD"
        case .instant: "a date and time in ISO 8601 with a zone, e.g. 2026-11-22T09:30:00Z"
        case .enumeration(let values): "one of \(values.joined(separator: ", "))"
        case .uuid: "a UUID"
        case .stringList: "a list of strings"
        case .object(let members): "an object with members \(members.keys.sorted().joined(separator: ", "))"
        }
    }
}

/// The items of a list field: each item is an object with an `id` (a UUID made where the item
/// was added) and the members named here.
public struct ListSchema: Sendable, Hashable {
    public let itemFields: [String: FieldKind]
    public let maxItems: Int

    public init(itemFields: [String: FieldKind], maxItems: Int = 200) {
        self.itemFields = itemFields
        self.maxItems = maxItems
    }
}

/// One named field of a record type.
public struct FieldSpec: Sendable {
    public let name: String
    public let kind: FieldKind
    /// One line for people: what the field is for.
    public let summary: String

    public init(_ name: String, _ kind: FieldKind, _ summary: String) {
        self.name = name
        self.kind = kind
        self.summary = summary
    }
}

/// Shorthands used by the record schemas.
extension FieldKind {
    static let shortText = FieldKind.text(maxLength: 2_000)
    static let longText = FieldKind.text(maxLength: 100_000)
    static let label = FieldKind.scalar(.string(maxLength: 200))
    static let flag = FieldKind.scalar(.boolean)
    static let date = FieldKind.scalar(.date)
    static let instant = FieldKind.scalar(.instant)
    static func oneOf(_ values: [String]) -> FieldKind { .scalar(.enumeration(values)) }
}
