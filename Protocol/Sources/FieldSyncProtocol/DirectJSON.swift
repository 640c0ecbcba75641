import Foundation

/// Writes FieldSync's hot wire types as JSON bytes directly, without the `Encodable` machinery.
///
/// The server's single writer thread encodes a record document and a history entry for every
/// operation; Foundation's `JSONEncoder` was close to half of that thread's work under the
/// standard push workload. The output is the same JSON `WireProtocol.makeEncoder()` writes (sorted
/// keys, unescaped slashes), which `JSONDecoder` reads back to equal values (tests pin both).
package enum DirectJSON {
    /// `fieldsJSON`, when given, is `record.fields` already written by ``fieldsObject(_:)``.
    package static func encode(_ record: RecordSnapshot, fieldsJSON: [UInt8]? = nil) throws -> Data {
        var out = JSONBytes()
        try out.record(record, fieldsJSON: fieldsJSON)
        return Data(out.bytes)
    }

    /// `fieldsJSON`, when given, is `changes.fields` already written by ``fieldsObject(_:)``.
    package static func encode(_ changes: HistoryChanges, fieldsJSON: [UInt8]? = nil) throws -> Data {
        var out = JSONBytes()
        try out.historyChanges(changes, fieldsJSON: fieldsJSON)
        return Data(out.bytes)
    }

    /// A record's fields as a JSON object, written once where the same fields go into both a
    /// record document and a history entry (a create), and where it can be done before the writer.
    package static func fieldsObject(_ fields: [String: JSONValue]) -> [UInt8] {
        var out = JSONBytes()
        out.object(fields) { $0.value($1) }
        return out.bytes
    }

    /// A pull page around record documents already stored as JSON (the server never decodes them
    /// to send them). Keys in sorted order, as WireProtocol's encoder writes them; `removed` left
    /// out when empty, sorted by its UUID text.
    package static func pullPage(documents: [Data], cursor: FeedCursor, more: Bool, removed: [UUID]) -> Data {
        var body = Data()
        body.reserveCapacity(documents.reduce(128) { $0 + $1.count + 1 })
        body.append(contentsOf: Array("{\"cursor\":\"\(cursor.token)\",\"more\":\(more),\"records\":[".utf8))
        for (n, document) in documents.enumerated() {
            if n > 0 { body.append(UInt8(ascii: ",")) }
            body.append(document)
        }
        body.append(UInt8(ascii: "]"))
        if !removed.isEmpty {
            body.append(contentsOf: Array(",\"removed\":[".utf8))
            body.append(contentsOf: Array(removed.map { "\"\($0.uuidString)\"" }.sorted().joined(separator: ",").utf8))
            body.append(UInt8(ascii: "]"))
        }
        body.append(UInt8(ascii: "}"))
        return body
    }

    package static func encode(_ result: ChangeSetResult) -> Data {
        var out = JSONBytes()
        out.result(result)
        return Data(out.bytes)
    }

    package static func encode(_ value: JSONValue) -> Data {
        var out = JSONBytes()
        out.value(value)
        return Data(out.bytes)
    }
}

/// A growing buffer of JSON bytes with the writers for each shape.
struct JSONBytes {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(2048) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { escaped($0) }
    }

    /// Appends a JSON string: runs of bytes that need no escaping are copied in one go.
    mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") { continue }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            runStart = i + 1
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        bytes.append(UInt8(ascii: "\""))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func integer(_ i: Int64) { bytes.append(contentsOf: String(i).utf8) }

    mutating func bool(_ b: Bool) { if b { raw("true") } else { raw("false") } }

    mutating func uuid(_ id: UUID) {
        bytes.append(UInt8(ascii: "\""))
        UUIDText.appendUppercase(id, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): bool(b)
        case .integer(let i): integer(i)
        case .number(let d):
            // Finite by validation; Swift's shortest round-trip form, as JSONEncoder writes it.
            if d == d.rounded(), abs(d) < 1e15 {
                bytes.append(contentsOf: String(Int64(d)).utf8)
            } else {
                bytes.append(contentsOf: "\(d)".utf8)
            }
        case .string(let s): string(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                value(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            object(members) { $0.value($1) }
        }
    }

    mutating func object<V>(_ members: [String: V], _ write: (inout JSONBytes, V) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        for (n, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            string(member.key)
            bytes.append(UInt8(ascii: ":"))
            write(&self, member.value)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members in sorted order: conflicts, createdAt, createdBy, deleted, fieldVersions, fields, id,
    /// kind, state, stateVersion, updatedAt, updatedBy, version, youngPerson.
    mutating func record(_ r: RecordSnapshot, fieldsJSON: [UInt8]? = nil) throws {
        bytes.append(UInt8(ascii: "{"))
        key("conflicts", first: true)
        if r.conflicts.isEmpty {
            raw("[]")
        } else {
            // Rare, and nested: the general encoder writes these.
            bytes.append(contentsOf: try WireProtocol.makeEncoder().encode(r.conflicts))
        }
        key("createdAt")
        string(r.createdAt)
        key("createdBy")
        string(r.createdBy)
        key("deleted")
        bool(r.deleted)
        key("fieldVersions")
        object(r.fieldVersions) { $0.integer($1) }
        key("fields")
        if let fieldsJSON { bytes.append(contentsOf: fieldsJSON) } else { object(r.fields) { $0.value($1) } }
        key("id")
        uuid(r.id)
        key("kind")
        string(r.kind.rawValue)
        key("state")
        string(r.state)
        key("stateVersion")
        integer(r.stateVersion)
        key("updatedAt")
        string(r.updatedAt)
        key("updatedBy")
        string(r.updatedBy)
        key("version")
        integer(r.version)
        key("youngPerson")
        uuid(r.youngPerson)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members in sorted order, absent ones left out (as `encodeIfPresent` does).
    mutating func historyChanges(_ c: HistoryChanges, fieldsJSON: [UInt8]? = nil) throws {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        func next(_ name: StaticString, _ body: (inout JSONBytes) -> Void) {
            key(name, first: first)
            first = false
            body(&self)
        }
        if let v = c.conflictResolved { next("conflictResolved") { $0.uuid(v) } }
        if let v = c.conflictsOpened {
            next("conflictsOpened") { out in
                out.bytes.append(UInt8(ascii: "["))
                for (n, id) in v.enumerated() {
                    if n > 0 { out.bytes.append(UInt8(ascii: ",")) }
                    out.uuid(id)
                }
                out.bytes.append(UInt8(ascii: "]"))
            }
        }
        if let v = c.deleted { next("deleted") { $0.bool(v) } }
        if let v = c.fields {
            next("fields") { out in
                if let fieldsJSON { out.bytes.append(contentsOf: fieldsJSON) } else { out.object(v) { $0.value($1) } }
            }
        }
        if let v = c.reason { next("reason") { $0.string(v) } }
        if let v = c.state { next("state") { $0.string(v) } }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members in sorted order: appliedAt, changeSet, deviceSequence, replayed, verdicts; each
    /// verdict's code, conflicts, index, message, outcome, record, version (absent ones left out).
    mutating func result(_ r: ChangeSetResult) {
        bytes.append(UInt8(ascii: "{"))
        key("appliedAt", first: true)
        string(r.appliedAt)
        key("changeSet")
        uuid(r.changeSet)
        key("deviceSequence")
        integer(r.deviceSequence)
        key("replayed")
        bool(r.replayed)
        key("verdicts")
        bytes.append(UInt8(ascii: "["))
        for (n, v) in r.verdicts.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            var first = true
            func next(_ name: StaticString) {
                key(name, first: first)
                first = false
            }
            if let code = v.code {
                next("code")
                string(code)
            }
            if let conflicts = v.conflicts {
                next("conflicts")
                bytes.append(UInt8(ascii: "["))
                for (m, id) in conflicts.enumerated() {
                    if m > 0 { bytes.append(UInt8(ascii: ",")) }
                    uuid(id)
                }
                bytes.append(UInt8(ascii: "]"))
            }
            next("index")
            integer(Int64(v.index))
            if let message = v.message {
                next("message")
                string(message)
            }
            next("outcome")
            string(v.outcome.rawValue)
            next("record")
            uuid(v.record)
            if let version = v.version {
                next("version")
                integer(version)
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
        bytes.append(UInt8(ascii: "}"))
    }
}
