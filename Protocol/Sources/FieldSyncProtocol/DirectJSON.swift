import Foundation

/// Writes FieldSync's hot wire types as JSON bytes directly, without the `Encodable` machinery.
///
/// The server's single writer thread encodes a record document and a history entry for every
/// operation; Foundation's `JSONEncoder` was close to half of that thread's work under the
/// standard push workload. The output is the same JSON `WireProtocol.makeEncoder()` writes (sorted
/// keys, unescaped slashes), which `JSONDecoder` reads back to equal values (tests pin both).
public enum DirectJSON {
    public static func encode(_ record: RecordSnapshot) throws -> Data {
        var out = JSONBytes()
        try out.record(record)
        return Data(out.bytes)
    }

    public static func encode(_ changes: HistoryChanges) throws -> Data {
        var out = JSONBytes()
        try out.historyChanges(changes)
        return Data(out.bytes)
    }

    public static func encode(_ value: JSONValue) -> Data {
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
        bytes.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func integer(_ i: Int64) { bytes.append(contentsOf: String(i).utf8) }

    mutating func bool(_ b: Bool) { if b { raw("true") } else { raw("false") } }

    mutating func uuid(_ id: UUID) { string(id.uuidString) }

    mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): bool(b)
        case .integer(let i): integer(i)
        case .number(let d):
            // Finite by validation; Swift's shortest round-trip form, as JSONEncoder writes it.
            if d == d.rounded(), abs(d) < 1e15 { bytes.append(contentsOf: String(Int64(d)).utf8) } else { bytes.append(contentsOf: "\(d)".utf8) }
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
        for (n, key) in members.keys.sorted().enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            string(key)
            bytes.append(UInt8(ascii: ":"))
            write(&self, members[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members in sorted order: conflicts, createdAt, createdBy, deleted, fieldVersions, fields, id,
    /// kind, state, stateVersion, updatedAt, updatedBy, version, youngPerson.
    mutating func record(_ r: RecordSnapshot) throws {
        bytes.append(UInt8(ascii: "{"))
        key("conflicts", first: true)
        if r.conflicts.isEmpty {
            raw("[]")
        } else {
            // Rare, and nested: the general encoder writes these.
            bytes.append(contentsOf: try WireProtocol.makeEncoder().encode(r.conflicts))
        }
        key("createdAt"); string(r.createdAt)
        key("createdBy"); string(r.createdBy)
        key("deleted"); bool(r.deleted)
        key("fieldVersions"); object(r.fieldVersions) { $0.integer($1) }
        key("fields"); object(r.fields) { $0.value($1) }
        key("id"); uuid(r.id)
        key("kind"); string(r.kind.rawValue)
        key("state"); string(r.state)
        key("stateVersion"); integer(r.stateVersion)
        key("updatedAt"); string(r.updatedAt)
        key("updatedBy"); string(r.updatedBy)
        key("version"); integer(r.version)
        key("youngPerson"); uuid(r.youngPerson)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members in sorted order, absent ones left out (as `encodeIfPresent` does).
    mutating func historyChanges(_ c: HistoryChanges) throws {
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
        if let v = c.fields { next("fields") { $0.object(v) { $0.value($1) } } }
        if let v = c.reason { next("reason") { $0.string(v) } }
        if let v = c.state { next("state") { $0.string(v) } }
        bytes.append(UInt8(ascii: "}"))
    }
}
