import Foundation

/// Reads a pushed ``ChangeSet`` straight from its JSON bytes, several times faster than `JSONDecoder`.
///
/// Every push body (`POST /v1/changesets`, typically 50 operations and ~80 KB) was decoded by
/// Foundation's `JSONDecoder`, at 2–3 ms a body about a quarter of the server's CPU under load.
/// This decoder reads exactly one shape, the plain one devices send, in one pass over the bytes.
///
/// It is strict and never reports why: it returns nil for anything else, and the caller then
/// decodes with `WireProtocol.makeDecoder()` to accept what that accepts or get its exact error.
/// Whenever it returns a change set, that value equals what `JSONDecoder` gives for the same
/// bytes. It returns nil for: an unknown or duplicate member in the change set or an operation, a
/// duplicate member in any object, a missing or `null` required member, a wrong JSON type, a number
/// with a fraction or exponent or outside `Int64` or with a leading zero, an invalid string escape, a
/// lone surrogate, invalid UTF-8, a raw control character in a string, a member name with an
/// escape, a UUID not in its 36-character form, an unknown `op`, `kind` or `choice`, nesting deeper
/// than 64, a trailing comma, anything after the value but whitespace, a byte-order mark, and
/// empty input. (`JSONDecoder` takes some of these: unknown and repeated members, fractions like
/// `1.0`, trailing commas, a byte-order mark, escaped names; the fallback handles them.)
/// An optional member given as `null` is nil, as `decodeIfPresent` makes it.
package enum ChangeSetFastDecoder {
    package static func decode(_ data: Data) -> ChangeSet? {
        data.withUnsafeBytes { decode($0) }
    }

    package static func decode(_ bytes: UnsafeRawBufferPointer) -> ChangeSet? {
        guard var reader = JSONByteReader(bytes) else { return nil }
        defer { reader.release() }
        do {
            let changeSet = try reader.changeSet()
            try reader.expectEnd()
            return changeSet
        } catch {
            return nil
        }
    }
}

extension JSONByteReader {
    /// The four members of ``ChangeSet``, all required.
    mutating func changeSet() throws(Failure) -> ChangeSet {
        try open(UInt8(ascii: "{"))
        var id: UUID?
        var deviceSequence: Int64?
        var madeAt: String?
        var operations: [ChangeOperation]?
        var first = true
        while try nextMember(&first) {
            let name = try plainMemberName()
            if name.matches("id"), id == nil {
                id = try uuid()
            } else if name.matches("deviceSequence"), deviceSequence == nil {
                deviceSequence = try int64()
            } else if name.matches("madeAt"), madeAt == nil {
                madeAt = try string()
            } else if name.matches("operations"), operations == nil {
                operations = try operationList()
            } else {
                throw Failure()
            }
        }
        guard let id, let deviceSequence, let madeAt, let operations else { throw Failure() }
        return ChangeSet(id: id, deviceSequence: deviceSequence, madeAt: madeAt, operations: operations)
    }

    mutating func operationList() throws(Failure) -> [ChangeOperation] {
        try open(UInt8(ascii: "["))
        var operations: [ChangeOperation] = []
        var first = true
        while try nextElement(&first) { operations.append(try operation()) }
        return operations
    }

    /// One operation: `op` and `record` required, the rest optional and nil when `null`.
    mutating func operation() throws(Failure) -> ChangeOperation {
        try open(UInt8(ascii: "{"))
        var op: OperationType?
        var record: UUID?
        var kind: RecordKind?
        var youngPerson: UUID?
        var state: String?
        var base: Int64?
        var fields: [String: JSONValue]?
        var baseFields: [String: JSONValue]?
        var to: String?
        var reason: String?
        var conflict: UUID?
        var choice: ResolutionChoice?
        var value: JSONValue?
        var seen: UInt16 = 0
        var first = true
        while try nextMember(&first) {
            let member = try OperationMember(try plainMemberName())
            let bit: UInt16 = 1 << member.rawValue
            guard seen & bit == 0 else { throw Failure() }
            seen |= bit
            switch member {
            case .op: op = try operationType()
            case .record: record = try uuid()
            case .kind: kind = try skipNull() ? nil : try recordKind()
            case .youngPerson: youngPerson = try skipNull() ? nil : try uuid()
            case .state: state = try skipNull() ? nil : try string()
            case .base: base = try skipNull() ? nil : try int64()
            case .fields: fields = try skipNull() ? nil : try valueObject()
            case .baseFields: baseFields = try skipNull() ? nil : try valueObject()
            case .to: to = try skipNull() ? nil : try string()
            case .reason: reason = try skipNull() ? nil : try string()
            case .conflict: conflict = try skipNull() ? nil : try uuid()
            case .choice: choice = try skipNull() ? nil : try resolutionChoice()
            // Not `? nil :` here: `JSONValue` is `ExpressibleByNilLiteral`, so that `nil` would be `.null`.
            case .value: value = try skipNull() ? Optional.none : try self.value()
            }
        }
        guard let op, let record else { throw Failure() }
        return ChangeOperation(
            op: op, record: record, kind: kind, youngPerson: youngPerson, state: state, base: base, fields: fields,
            baseFields: baseFields, to: to, reason: reason, conflict: conflict, choice: choice, value: value)
    }

    mutating func operationType() throws(Failure) -> OperationType {
        let text = try plainString()
        if text.matches("create") { return .create }
        if text.matches("update") { return .update }
        if text.matches("transition") { return .transition }
        if text.matches("delete") { return .delete }
        if text.matches("resolve") { return .resolve }
        throw Failure()
    }

    mutating func recordKind() throws(Failure) -> RecordKind {
        let text = try plainString()
        if text.matches("visit") { return .visit }
        if text.matches("pep") { return .pep }
        throw Failure()
    }

    mutating func resolutionChoice() throws(Failure) -> ResolutionChoice {
        let text = try plainString()
        if text.matches("current") { return .current }
        if text.matches("held") { return .held }
        if text.matches("value") { return .value }
        throw Failure()
    }
}

/// The members of ``ChangeOperation``, numbered for a bit set of those seen.
enum OperationMember: UInt8 {
    case op, record, kind, youngPerson, state, base, fields, baseFields, to, reason, conflict, choice, value

    /// Throws for a name that is none of them.
    init(_ name: UnsafeBufferPointer<UInt8>) throws(JSONShapeMismatch) {
        let found: OperationMember? =
            switch name.count {
            case 2: name.matches("op") ? .op : name.matches("to") ? .to : nil
            case 4: name.matches("kind") ? .kind : name.matches("base") ? .base : nil
            case 5: name.matches("state") ? .state : name.matches("value") ? .value : nil
            case 6:
                name.matches("record")
                    ? .record
                    : name.matches("fields")
                        ? .fields
                        : name.matches("reason") ? .reason : name.matches("choice") ? .choice : nil
            case 8: name.matches("conflict") ? .conflict : nil
            case 10: name.matches("baseFields") ? .baseFields : nil
            case 11: name.matches("youngPerson") ? .youngPerson : nil
            default: nil
            }
        guard let found else { throw JSONShapeMismatch() }
        self = found
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// These bytes are exactly the ASCII `text`.
    @inline(__always)
    func matches(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount, let base = baseAddress else { return count == 0 && text.utf8CodeUnitCount == 0 }
        return memcmp(base, text.utf8Start, count) == 0
    }
}
