import Foundation

/// Checks field values against a record kind's schema. The server runs it on every operation
/// (a failure refuses the whole request with 400 and changes nothing); the client runs the same
/// check before an edit enters the outbox, so a device never queues what the server would refuse.
public enum FieldValidation {
    /// Checks a map of field values (as in `create` or `update`). `null` clears a field.
    public static func check(_ fields: [String: JSONValue], of kind: RecordKind, context: String) throws(ValidationError) {
        let schema = kind.schema
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let spec = schema.field(name) else {
                throw ValidationError(
                    .unknownField,
                    "\(context): a \(kind.rawValue) record has no field '\(name)'. Known fields: \(schema.fieldOrder.joined(separator: ", "))."
                )
            }
            if value.isNull { continue }
            try checkValue(value, against: spec.kind, path: name, context: context)
        }
    }

    /// Checks one value against a field kind; `path` names it in messages.
    public static func checkValue(_ value: JSONValue, against kind: FieldKind, path: String, context: String) throws(ValidationError) {
        switch kind {
        case .text(let maxLength):
            guard case .string(let s) = value else { throw wrongType(path, value, "text (a string)", context) }
            try checkLength(s, maxLength: maxLength, path: path, context: context)
        case .scalar(let type):
            try checkScalar(value, type, path: path, context: context)
        case .list(let schema):
            guard case .array(let items) = value else { throw wrongType(path, value, "a list of items", context) }
            if items.count > schema.maxItems {
                throw ValidationError(.invalidValue, "\(context): \(path) has \(items.count) items; the most is \(schema.maxItems).")
            }
            var seen = Set<String>()
            for (n, item) in items.enumerated() {
                guard case .object(let members) = item else {
                    throw wrongType("\(path)[\(n)]", item, "an object with an id", context)
                }
                guard let id = members["id"]?.stringValue, UUID(uuidString: id) != nil else {
                    throw ValidationError(
                        .missingMember, "\(context): item \(n + 1) of \(path) needs an 'id' that is a UUID, made where the item was added.")
                }
                guard seen.insert(id.lowercased()).inserted else {
                    throw ValidationError(.invalidValue, "\(context): \(path) lists the item id \(id) twice.")
                }
                for (member, memberValue) in members.sorted(by: { $0.key < $1.key }) where member != "id" {
                    guard let memberKind = schema.itemFields[member] else {
                        throw ValidationError(
                            .unknownField,
                            "\(context): items of \(path) have no member '\(member)'. Known members: \(schema.itemFields.keys.sorted().joined(separator: ", "))."
                        )
                    }
                    if memberValue.isNull { continue }
                    try checkValue(memberValue, against: memberKind, path: "\(path)[\(id)].\(member)", context: context)
                }
            }
        }
    }

    static func checkScalar(_ value: JSONValue, _ type: ScalarType, path: String, context: String) throws(ValidationError) {
        switch type {
        case .string(let maxLength):
            guard case .string(let s) = value else { throw wrongType(path, value, "a string", context) }
            try checkLength(s, maxLength: maxLength, path: path, context: context)
        case .boolean:
            guard case .bool = value else { throw wrongType(path, value, "true or false", context) }
        case .integer(let min, let max):
            guard case .integer(let i) = value else { throw wrongType(path, value, type.description, context) }
            if i < min || i > max { throw ValidationError(.invalidValue, "\(context): \(path) is \(i); it must be \(type.description).") }
        case .decimal(let min, let max):
            let d: Double
            switch value {
            case .integer(let i): d = Double(i)
            case .number(let x): d = x
            default: throw wrongType(path, value, type.description, context)
            }
            if d < min || d > max || !d.isFinite {
                throw ValidationError(.invalidValue, "\(context): \(path) is \(d); it must be \(type.description).")
            }
        case .date:
            guard case .string(let s) = value else { throw wrongType(path, value, type.description, context) }
            if CalendarDay(s) == nil {
                throw ValidationError(.invalidValue, "\(context): \(path) is '\(s)'; it must be \(type.description), e.g. 2026-11-22.")
            }
        case .instant:
            guard case .string(let s) = value else { throw wrongType(path, value, type.description, context) }
            if WireTime.parse(s) == nil {
                throw ValidationError(.invalidValue, "\(context): \(path) is '\(s)'; it must be \(type.description).")
            }
        case .enumeration(let allowed):
            guard case .string(let s) = value else { throw wrongType(path, value, type.description, context) }
            if !allowed.contains(s) {
                throw ValidationError(.invalidValue, "\(context): \(path) is '\(s)'; it must be \(type.description).")
            }
        case .uuid:
            guard case .string(let s) = value, UUID(uuidString: s) != nil else {
                throw wrongType(path, value, type.description, context)
            }
        case .stringList(let maxCount, let maxLength):
            guard case .array(let items) = value else { throw wrongType(path, value, "a list of strings", context) }
            if items.count > maxCount {
                throw ValidationError(.invalidValue, "\(context): \(path) has \(items.count) entries; the most is \(maxCount).")
            }
            for (n, item) in items.enumerated() {
                try checkScalar(item, .string(maxLength: maxLength), path: "\(path)[\(n)]", context: context)
            }
        case .object(let members):
            guard case .object(let given) = value else { throw wrongType(path, value, type.description, context) }
            for (member, memberValue) in given.sorted(by: { $0.key < $1.key }) {
                guard let memberType = members[member] else {
                    throw ValidationError(
                        .unknownField,
                        "\(context): \(path) has no member '\(member)'. Known members: \(members.keys.sorted().joined(separator: ", ")).")
                }
                if memberValue.isNull { continue }
                try checkScalar(memberValue, memberType, path: "\(path).\(member)", context: context)
            }
        }
    }

    /// A string's length against a limit of `maxLength` characters: counted in UTF-8 bytes first
    /// (at most ``WireProtocol/utf8BytesPerCharacter`` per character; cheap, and it bounds what
    /// one character can hide, e.g. a letter with a million combining accents), then in characters.
    public static func checkLength(_ s: String, maxLength: Int, path: String, context: String) throws(ValidationError) {
        let maxBytes = maxLength * WireProtocol.utf8BytesPerCharacter
        let bytes = s.utf8.count
        if bytes > maxBytes {
            throw ValidationError(
                .invalidValue,
                "\(context): \(path) is \(bytes) bytes in UTF-8; the most is \(maxBytes) (\(maxLength) characters of at most \(WireProtocol.utf8BytesPerCharacter) bytes each). Shorten it, or remove stacked accents or symbols."
            )
        }
        let count = s.count
        if count > maxLength {
            throw ValidationError(.invalidValue, "\(context): \(path) is \(count) characters; the most is \(maxLength).")
        }
    }

    static func wrongType(_ path: String, _ value: JSONValue, _ expected: String, _ context: String) -> ValidationError {
        ValidationError(.wrongType, "\(context): \(path) must be \(expected), not \(value.typeName).")
    }
}
