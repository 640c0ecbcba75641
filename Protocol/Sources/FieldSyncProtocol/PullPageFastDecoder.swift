import Foundation

/// Reads a pulled ``PullPage`` straight from its JSON bytes, several times faster than `JSONDecoder`.
///
/// A device pulls the change feed (`GET /v1/changes`) in pages of up to 1,000 records (~2 MB),
/// and `JSONDecoder` spent ~60 ms on each: most of a full pull's time, more than the HTTP. This
/// decoder reads the shape the server renders (see `FeedReader.render` and ``DirectJSON``), in
/// one pass over the bytes, with ``JSONByteReader`` as ``ChangeSetFastDecoder`` does.
///
/// The contract is ``ChangeSetFastDecoder``'s: it never reports why, it returns nil for anything
/// unusual, and the caller then decodes with `WireProtocol.makeDecoder()` to accept what that
/// accepts or get its exact error. Whenever it returns a page, that page equals what `JSONDecoder`
/// gives for the same bytes. It returns nil for: an unknown or duplicate member in the page, a
/// record, a conflict, its resolution or an authorship; a duplicate member in any object; a
/// missing or `null` required member; a wrong JSON type; a number with a fraction or exponent or
/// outside `Int64` or with a leading zero (so a field holding a `JSONValue.number` falls back); an
/// invalid string escape, a lone surrogate, invalid UTF-8, a raw control character in a string; a
/// member name with an escape; a UUID not in its 36-character form; an unknown `kind` or `choice`;
/// nesting deeper than 64; a trailing comma; anything after the page but whitespace; a byte-order
/// mark; and empty input. The optional members, `removed` and a conflict's `resolution`, are nil
/// when absent or `null`. The `JSONValue`s of a conflict (`base`, `current`, `held`, and a
/// resolution's `value`) are required, and `null` there is ``JSONValue/null``, as `JSONDecoder`
/// makes it.
package enum PullPageFastDecoder {
    package static func decode(_ data: Data) -> PullPage? {
        data.withUnsafeBytes { decode($0) }
    }

    package static func decode(_ bytes: UnsafeRawBufferPointer) -> PullPage? {
        guard var reader = JSONByteReader(bytes) else { return nil }
        defer { reader.release() }
        do {
            let page = try reader.pullPage()
            try reader.expectEnd()
            return page
        } catch {
            return nil
        }
    }
}

extension JSONByteReader {
    /// `records`, `cursor` and `more` required; `removed` optional.
    mutating func pullPage() throws(Failure) -> PullPage {
        try open(UInt8(ascii: "{"))
        var records: [RecordSnapshot]?
        var cursor: String?
        var more: Bool?
        var removed: [UUID]?
        var removedSeen = false
        var first = true
        while try nextMember(&first) {
            let name = try plainMemberName()
            if name.matches("records"), records == nil {
                records = try recordList()
            } else if name.matches("cursor"), cursor == nil {
                cursor = try string()
            } else if name.matches("more"), more == nil {
                more = try bool()
            } else if name.matches("removed"), !removedSeen {
                removedSeen = true
                removed = try skipNull() ? nil : try uuidList()
            } else {
                throw Failure()
            }
        }
        guard let records, let cursor, let more else { throw Failure() }
        return PullPage(records: records, cursor: cursor, more: more, removed: removed)
    }

    mutating func recordList() throws(Failure) -> [RecordSnapshot] {
        try open(UInt8(ascii: "["))
        var records: [RecordSnapshot] = []
        // Records of a page mostly carry the same fields: each sizes the next one's fieldVersions.
        var fieldCount = 0
        var first = true
        while try nextElement(&first) { records.append(try recordSnapshot(fieldCount: &fieldCount)) }
        return records
    }

    mutating func uuidList() throws(Failure) -> [UUID] {
        try open(UInt8(ascii: "["))
        var ids: [UUID] = []
        var first = true
        while try nextElement(&first) { ids.append(try uuid()) }
        return ids
    }

    /// The fourteen members of ``RecordSnapshot``, all required.
    mutating func recordSnapshot(fieldCount: inout Int) throws(Failure) -> RecordSnapshot {
        try open(UInt8(ascii: "{"))
        var id: UUID?
        var kind: RecordKind?
        var youngPerson: UUID?
        var state: String?
        var stateVersion: Int64?
        var version: Int64?
        var deleted: Bool?
        var fields: [String: JSONValue]?
        var fieldVersions: [String: Int64]?
        var createdBy: String?
        var createdAt: String?
        var updatedBy: String?
        var updatedAt: String?
        var conflicts: [Conflict]?
        var seen: UInt16 = 0
        var first = true
        while try nextMember(&first) {
            let member = try RecordMember(try plainMemberName())
            let bit: UInt16 = 1 << member.rawValue
            guard seen & bit == 0 else { throw Failure() }
            seen |= bit
            switch member {
            case .id: id = try uuid()
            case .kind: kind = try recordKind()
            case .youngPerson: youngPerson = try uuid()
            case .state: state = try string()
            case .stateVersion: stateVersion = try int64()
            case .version: version = try int64()
            case .deleted: deleted = try bool()
            case .fields: fields = try valueObject()
            case .fieldVersions:
                let versions = try integerObject(capacity: fieldCount)
                fieldCount = versions.count
                fieldVersions = versions
            case .createdBy: createdBy = try string()
            case .createdAt: createdAt = try string()
            case .updatedBy: updatedBy = try string()
            case .updatedAt: updatedAt = try string()
            case .conflicts: conflicts = try conflictList()
            }
        }
        guard let id, let kind, let youngPerson, let state, let stateVersion, let version, let deleted, let fields,
            let fieldVersions, let createdBy, let createdAt, let updatedBy, let updatedAt, let conflicts
        else { throw Failure() }
        return RecordSnapshot(
            id: id, kind: kind, youngPerson: youngPerson, state: state, stateVersion: stateVersion, version: version,
            deleted: deleted, fields: fields, fieldVersions: fieldVersions, createdBy: createdBy, createdAt: createdAt,
            updatedBy: updatedBy, updatedAt: updatedAt, conflicts: conflicts)
    }

    /// An object of integers; a name repeated (by Swift's `String` equality) throws.
    mutating func integerObject(capacity: Int) throws(Failure) -> [String: Int64] {
        try open(UInt8(ascii: "{"))
        var members = [String: Int64](minimumCapacity: capacity)
        var first = true
        while try nextMember(&first) {
            let name = try string()
            try expect(UInt8(ascii: ":"))
            guard members.updateValue(try int64(), forKey: name) == nil else { throw Failure() }
        }
        return members
    }

    mutating func conflictList() throws(Failure) -> [Conflict] {
        try open(UInt8(ascii: "["))
        var conflicts: [Conflict] = []
        var first = true
        while try nextElement(&first) { conflicts.append(try conflict()) }
        return conflicts
    }

    /// A ``Conflict``: all members required but `resolution`. Its values are read by `value()`,
    /// so `null` there is `JSONValue.null`, as `JSONDecoder` reads a non-optional `JSONValue`.
    mutating func conflict() throws(Failure) -> Conflict {
        try open(UInt8(ascii: "{"))
        var id: UUID?
        var record: UUID?
        var field: String?
        var base: JSONValue?
        var current: JSONValue?
        var held: JSONValue?
        var heldBy: Authorship?
        var openedAt: String?
        var status: String?
        var resolution: ConflictResolution?
        var resolutionSeen = false
        // `case .none =` below, not `== nil`: `JSONValue` is `ExpressibleByNilLiteral`.
        var first = true
        while try nextMember(&first) {
            let name = try plainMemberName()
            if name.matches("id"), id == nil {
                id = try uuid()
            } else if name.matches("record"), record == nil {
                record = try uuid()
            } else if name.matches("field"), field == nil {
                field = try string()
            } else if name.matches("base"), case .none = base {
                base = try value()
            } else if name.matches("current"), case .none = current {
                current = try value()
            } else if name.matches("held"), case .none = held {
                held = try value()
            } else if name.matches("heldBy"), heldBy == nil {
                heldBy = try authorship()
            } else if name.matches("openedAt"), openedAt == nil {
                openedAt = try string()
            } else if name.matches("status"), status == nil {
                status = try string()
            } else if name.matches("resolution"), !resolutionSeen {
                resolutionSeen = true
                resolution = try skipNull() ? nil : try conflictResolution()
            } else {
                throw Failure()
            }
        }
        guard let id, let record, let field, let base, let current, let held, let heldBy, let openedAt, let status
        else { throw Failure() }
        return Conflict(
            id: id, record: record, field: field, base: base, current: current, held: held, heldBy: heldBy,
            openedAt: openedAt, status: status, resolution: resolution)
    }

    /// A ``ConflictResolution``, all members required (`value` may be `null`: `JSONValue.null`).
    mutating func conflictResolution() throws(Failure) -> ConflictResolution {
        try open(UInt8(ascii: "{"))
        var choice: ResolutionChoice?
        var value: JSONValue?
        var by: Authorship?
        // `case .none =` below, not `== nil`: `JSONValue` is `ExpressibleByNilLiteral`.
        var first = true
        while try nextMember(&first) {
            let name = try plainMemberName()
            if name.matches("choice"), choice == nil {
                choice = try resolutionChoice()
            } else if name.matches("value"), case .none = value {
                value = try self.value()
            } else if name.matches("by"), by == nil {
                by = try authorship()
            } else {
                throw Failure()
            }
        }
        guard let choice, let value, let by else { throw Failure() }
        return ConflictResolution(choice: choice, value: value, by: by)
    }

    /// An ``Authorship``, all members required.
    mutating func authorship() throws(Failure) -> Authorship {
        try open(UInt8(ascii: "{"))
        var user: String?
        var device: UUID?
        var changeSet: UUID?
        var madeAt: String?
        var receivedAt: String?
        var first = true
        while try nextMember(&first) {
            let name = try plainMemberName()
            if name.matches("user"), user == nil {
                user = try string()
            } else if name.matches("device"), device == nil {
                device = try uuid()
            } else if name.matches("changeSet"), changeSet == nil {
                changeSet = try uuid()
            } else if name.matches("madeAt"), madeAt == nil {
                madeAt = try string()
            } else if name.matches("receivedAt"), receivedAt == nil {
                receivedAt = try string()
            } else {
                throw Failure()
            }
        }
        guard let user, let device, let changeSet, let madeAt, let receivedAt else { throw Failure() }
        return Authorship(user: user, device: device, changeSet: changeSet, madeAt: madeAt, receivedAt: receivedAt)
    }
}

/// The members of ``RecordSnapshot``, numbered for a bit set of those seen.
enum RecordMember: UInt8 {
    case id, kind, youngPerson, state, stateVersion, version, deleted, fields, fieldVersions, createdBy, createdAt
    case updatedBy, updatedAt, conflicts

    /// Throws for a name that is none of them.
    init(_ name: UnsafeBufferPointer<UInt8>) throws(JSONShapeMismatch) {
        let found: RecordMember? =
            switch name.count {
            case 2: name.matches("id") ? .id : nil
            case 4: name.matches("kind") ? .kind : nil
            case 5: name.matches("state") ? .state : nil
            case 6: name.matches("fields") ? .fields : nil
            case 7: name.matches("version") ? .version : name.matches("deleted") ? .deleted : nil
            case 9:
                name.matches("createdAt")
                    ? .createdAt
                    : name.matches("createdBy")
                        ? .createdBy
                        : name.matches("updatedAt")
                            ? .updatedAt
                            : name.matches("updatedBy")
                                ? .updatedBy
                                : name.matches("conflicts") ? .conflicts : nil
            case 11: name.matches("youngPerson") ? .youngPerson : nil
            case 12: name.matches("stateVersion") ? .stateVersion : nil
            case 13: name.matches("fieldVersions") ? .fieldVersions : nil
            default: nil
            }
        guard let found else { throw JSONShapeMismatch() }
        self = found
    }
}
