import FieldSyncProtocol
import Foundation

/// Turns `FIELD=VALUE` words (as typed on the `fieldsync` command line) into field values,
/// typed by the record kind's schema.
///
/// - `name=value`: set a field; the value is read as the field's type (text, true/false, a
///   number, a date, an enum; JSON for lists and objects). An empty value clears the field.
/// - `name=@path` reads the value from a file, `name=@-` from standard input; `name=@@text`
///   is the literal value `@text` (a leading `@@` stands for one `@`).
/// - `name.member=value`: set one member of an object field (e.g. `setting.name=Oak School`).
/// - `list+={json}`: add an item to a list field (an `id` is made if the item has none).
/// - `list[ID].member=value`: set one member of one list item (ID may be a unique prefix).
/// - `list-=ID`: remove an item.
public enum FieldAssignments {
    /// A value as typed: `@path` and `@-` read a file or standard input, `@@…` is a literal
    /// value starting with one `@`, anything else is itself.
    public static func literalOrInput(
        _ raw: String, for target: String = "the value", readInput: (String) throws -> String
    ) throws(ClientError) -> String {
        guard raw.hasPrefix("@") else { return raw }
        if raw.hasPrefix("@@") { return String(raw.dropFirst()) }
        let source = String(raw.dropFirst())
        do { return try readInput(source) } catch {
            throw ClientError(
                "unreadable_input",
                "Cannot read \(target) from \(source == "-" ? "standard input" : source): \(error.localizedDescription) (write @@ for a value that starts with @)"
            )
        }
    }

    public static func apply(
        _ words: [String], kind: RecordKind, to current: [String: JSONValue], readInput: (String) throws -> String
    ) throws(ClientError) -> [String: JSONValue] {
        let schema = kind.schema
        var fields = current
        var touched = Set<String>()
        for word in words {
            guard let (target, op, rawValue) = split(word) else {
                throw ClientError("bad_assignment", "'\(word)' is not FIELD=VALUE (or list+=ITEM, list-=ID, list[ID].member=VALUE).")
            }
            let text = try literalOrInput(rawValue, for: "the value for \(target)", readInput: readInput)
            let name = String(target.prefix { $0 != "[" && $0 != "." })
            guard let spec = schema.field(name) else {
                throw ClientError(
                    "unknown_field",
                    "A \(kind.rawValue) record has no field '\(name)'. Fields: \(schema.fieldOrder.joined(separator: ", ")).")
            }
            touched.insert(name)
            let rest = target.dropFirst(name.count)
            switch (spec.kind, op, rest.first) {
            case (_, "=", nil):
                fields[name] = try value(text, for: spec.kind, name: name)
            case (.scalar(.object(let members)), "=", "."):
                let member = String(rest.dropFirst())
                guard let memberType = members[member] else {
                    throw ClientError(
                        "unknown_field", "\(name) has no member '\(member)'. Members: \(members.keys.sorted().joined(separator: ", ")).")
                }
                var object = fields[name]?.objectValue ?? [:]
                object[member] = try value(text, for: .scalar(memberType), name: "\(name).\(member)")
                fields[name] = .object(object)
            case (.list(let list), "+=", nil):
                guard case .object(var item)? = try? WireProtocol.makeDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
                    throw ClientError(
                        "bad_assignment",
                        "\(name)+= takes an item as a JSON object, e.g. \(name)+='{\"\(list.itemFields.keys.sorted().first ?? "member")\": \"…\"}'"
                    )
                }
                if item["id"] == nil { item["id"] = .string(UUID().uuidString.lowercased()) }
                fields[name] = .array((fields[name]?.arrayValue ?? []) + [.object(item)])
            case (.list, "-=", nil):
                let id = try itemId(text, in: fields[name], field: name)
                fields[name] = .array((fields[name]?.arrayValue ?? []).filter { $0.objectValue?["id"]?.stringValue?.lowercased() != id })
            case (.list(let list), "=", "["):
                guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].first == "." else {
                    throw ClientError("bad_assignment", "Write a list item member as \(name)[ITEM_ID].member=VALUE.")
                }
                let id = try itemId(String(rest[rest.index(after: rest.startIndex)..<close]), in: fields[name], field: name)
                let member = String(rest[rest.index(close, offsetBy: 2)...])
                guard let memberKind = list.itemFields[member] else {
                    throw ClientError(
                        "unknown_field",
                        "Items of \(name) have no member '\(member)'. Members: \(list.itemFields.keys.sorted().joined(separator: ", ")).")
                }
                let newValue = try value(text, for: memberKind, name: "\(name)[\(id)].\(member)")
                fields[name] = .array(
                    (fields[name]?.arrayValue ?? []).map { item in
                        guard var object = item.objectValue, object["id"]?.stringValue?.lowercased() == id else { return item }
                        object[member] = newValue
                        return .object(object)
                    })
            default:
                throw ClientError("bad_assignment", "'\(word)' does not fit the \(spec.kind.kindName) field \(name).")
            }
        }
        return fields.filter { touched.contains($0.key) }.merging(touched.filter { fields[$0] == nil }.map { ($0, JSONValue.null) }) {
            a, _ in a
        }
    }

    static func split(_ word: String) -> (String, String, String)? {
        guard let eq = word.firstIndex(of: "=") else { return nil }
        var target = String(word[..<eq])
        var op = "="
        if target.hasSuffix("+") || target.hasSuffix("-") {
            op = String(target.removeLast()) + "="
        }
        guard !target.isEmpty else { return nil }
        return (target, op, String(word[word.index(after: eq)...]))
    }

    static func itemId(_ text: String, in list: JSONValue?, field: String) throws(ClientError) -> String {
        let needle = text.lowercased()
        let ids = (list?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue?.lowercased() }.filter { $0.hasPrefix(needle) }
        guard ids.count == 1 else {
            throw ClientError(
                ids.isEmpty ? "item_not_found" : "ambiguous_item_id",
                ids.isEmpty
                    ? "\(field) has no item with id \(text)." : "'\(text)' matches \(ids.count) items of \(field); give more of the id.")
        }
        return ids[0]
    }

    /// Reads typed text as a value of a field kind.
    public static func value(_ text: String, for kind: FieldKind, name: String) throws(ClientError) -> JSONValue {
        if text.isEmpty { return .null }
        func json() throws(ClientError) -> JSONValue {
            do { return try WireProtocol.makeDecoder().decode(JSONValue.self, from: Data(text.utf8)) } catch {
                throw ClientError("bad_value", "\(name) takes JSON here; '\(text.prefix(60))' is not valid JSON.")
            }
        }
        switch kind {
        case .text: return .string(text)
        case .list: return try json()
        case .scalar(let type):
            switch type {
            case .string, .date, .instant, .uuid: return .string(text)
            case .enumeration(let allowed):
                return .string(allowed.first { $0.caseInsensitiveCompare(text) == .orderedSame } ?? text)
            case .boolean:
                switch text.lowercased() {
                case "true", "yes", "y", "1": return .bool(true)
                case "false", "no", "n", "0": return .bool(false)
                default: throw ClientError("bad_value", "\(name) is true or false, not '\(text)'.")
                }
            case .integer:
                guard let n = Int64(text) else { throw ClientError("bad_value", "\(name) is a whole number, not '\(text)'.") }
                return .integer(n)
            case .decimal:
                if let n = Int64(text) { return .integer(n) }
                guard let d = Double(text) else { throw ClientError("bad_value", "\(name) is a number, not '\(text)'.") }
                return .number(d)
            case .stringList:
                if text.hasPrefix("[") { return try json() }
                return .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
            case .object:
                return try json()
            }
        }
    }
}
