import Foundation

/// Where a value sits in a record's fields, as written in ``ConflictPart/path`` and
/// ``Conflict/field``: a whole field (`childViews`), one item of a list field
/// (`actions[<item id>]`) or one member of one item (`actions[<item id>].status`).
///
/// Used to read the sides of a conflict and to apply its resolution. Item ids are UUID strings and
/// compare case-insensitively; the spelling given is kept for ``description``.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public let field: String
    /// The item id for an item or member path.
    public let item: String?
    /// The member name for a member path.
    public let member: String?

    /// Parses `name`, `name[<uuid>]` or `name[<uuid>].member`; nil for anything else.
    public init?(_ text: String) {
        guard let open = text.firstIndex(of: "[") else {
            guard Self.isName(text) else { return nil }
            self.init(field: text, item: nil, member: nil)
            return
        }
        let name = String(text[..<open])
        let afterOpen = text.index(after: open)
        guard let close = text[afterOpen...].firstIndex(of: "]") else { return nil }
        let id = String(text[afterOpen..<close])
        let rest = text[text.index(after: close)...]
        let member: String?
        if rest.isEmpty {
            member = nil
        } else if rest.first == ".", Self.isName(rest.dropFirst()) {
            member = String(rest.dropFirst())
        } else {
            return nil
        }
        guard Self.isName(name), UUID(uuidString: id) != nil else { return nil }
        self.init(field: name, item: id, member: member)
    }

    private init(field: String, item: String?, member: String?) {
        self.field = field
        self.item = item
        self.member = member
    }

    /// A path to a whole field.
    public static func field(_ name: String) -> FieldPath { FieldPath(field: name, item: nil, member: nil) }

    /// A path to one item of a list field, or to one member of it.
    public static func item(_ id: String, of field: String, member: String? = nil) -> FieldPath {
        FieldPath(field: field, item: id, member: member)
    }

    public var description: String {
        guard let item else { return field }
        guard let member else { return "\(field)[\(item)]" }
        return "\(field)[\(item)].\(member)"
    }

    public static func == (lhs: FieldPath, rhs: FieldPath) -> Bool {
        lhs.field == rhs.field && lhs.item?.lowercased() == rhs.item?.lowercased() && lhs.member == rhs.member
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(field)
        hasher.combine(item?.lowercased())
        hasher.combine(member)
    }

    /// The value at this path; null when the field, the item or the member is absent.
    public func value(in fields: [String: JSONValue]) -> JSONValue {
        let whole = fields[field] ?? .null
        guard let item else { return whole }
        guard let items = whole.arrayValue, let index = Self.index(of: item, in: items),
            let object = items[index].objectValue
        else { return .null }
        guard let member else { return .object(object) }
        return object[member] ?? .null
    }

    /// The fields with the value at this path replaced.
    ///
    /// - A field path sets the field. Null unsets it and is stored as an explicit `null` entry, so
    ///   that a caller comparing the fields before and after sees the field change.
    /// - An item path: null removes the item; an object replaces the item in place, or is appended
    ///   when the list has no such item (re-adding an item that was removed). The object's `id`
    ///   is set to this path's id. Any other value leaves `fields` as they are.
    /// - A member path sets that member of the item (null removes the member); when the item is
    ///   absent, `fields` are returned as they are.
    public func setting(_ value: JSONValue, in fields: [String: JSONValue]) -> [String: JSONValue] {
        var fields = fields
        guard let item else {
            fields[field] = value
            return fields
        }
        var items = fields[field]?.arrayValue ?? []
        let index = Self.index(of: item, in: items)
        if let member {
            guard let index, case .object(var object) = items[index] else { return fields }
            // Spelled out: `value.isNull ? nil : value` would store `.null` (JSONValue is
            // ExpressibleByNilLiteral).
            if value.isNull { object.removeValue(forKey: member) } else { object[member] = value }
            items[index] = .object(object)
        } else {
            switch value {
            case .null:
                guard let index else { return fields }
                items.remove(at: index)
            case .object(var object):
                if object["id"]?.stringValue?.lowercased() != item.lowercased() { object["id"] = .string(item) }
                if let index {
                    items[index] = .object(object)
                } else {
                    items.append(.object(object))
                }
            default:
                return fields
            }
        }
        fields[field] = .array(items)
        return fields
    }

    private static func index(of id: String, in items: [JSONValue]) -> Int? {
        let key = id.lowercased()
        return items.firstIndex { $0.objectValue?["id"]?.stringValue?.lowercased() == key }
    }

    /// Field and member names are identifiers: ASCII letters, digits and `_`, not starting with a
    /// digit. (So `(record)`, the conflict name of a delete that met an edit, is not a path.)
    private static func isName(_ text: some StringProtocol) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
