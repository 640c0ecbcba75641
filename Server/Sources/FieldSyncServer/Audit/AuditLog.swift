import Crypto
import FieldSyncProtocol
import Foundation
import GRDB

/// One entry of the audit trail (domain model 2.5): who, with which role, from which device,
/// did what, to which record or young person, when. Content-free: it names records, never copies them.
public struct AuditEntry: Codable, Sendable {
    public var id: Int64
    public var at: String
    public var actor: String
    public var role: String
    public var device: String?
    public var action: String
    public var record: String?
    public var youngPerson: String?
    public var detail: String
    public var previousHash: String
    public var hash: String
}

/// Appends to and checks the hash-chained audit log.
///
/// Each entry's hash is SHA-256 over the previous entry's hash and the entry's fields, so removing,
/// reordering or altering any entry breaks every hash after it. The table also refuses UPDATE and
/// DELETE by trigger; the chain catches what is done around the triggers (a copied file, a dropped trigger).
enum AuditLog {
    static let genesis = String(repeating: "0", count: 64)

    struct Event {
        var actor: String
        var role: String
        var device: String?
        var action: String
        var record: String? = nil
        var youngPerson: String? = nil
        var detail: String = ""
    }

    /// The chain's newest hash, remembered across the appends of one write transaction so each
    /// append need not read it back. Forget it (set nil) when a savepoint rolls back.
    final class Head {
        var hash: String?
    }

    /// Appends an event inside the caller's write transaction.
    static func append(_ event: Event, at time: String = WireTime.now(), head: Head? = nil, in db: Database) throws {
        try insert.execute([try row(event, at: time, head: head ?? Head(), in: db)], in: db)
    }

    /// Several audit rows in one statement (``row(_:at:head:in:)`` makes each, in order).
    static let insert = MultiRowInsert(
        "INSERT INTO audit_log(at, actor, role, device_id, action, record_id, young_person, detail, prev_hash, hash)", columns: 10)

    /// The values of the next entry of the chain, its hash made over the head's (read from the
    /// table when the head does not know it). Insert the rows in the order they were made, in the
    /// transaction that made them.
    static func row(_ event: Event, at time: String, head: Head, in db: Database) throws -> [SQLValue] {
        let previous = try head.hash
            ?? String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")) ?? genesis
        let hash = digest(
            previous: previous, at: time, actor: event.actor, role: event.role, device: event.device, action: event.action,
            record: event.record, youngPerson: event.youngPerson, detail: event.detail)
        head.hash = hash
        return [
            .text(time), .text(event.actor), .text(event.role), .text(event.device), .text(event.action), .text(event.record),
            .text(event.youngPerson), .text(event.detail), .text(previous), .text(hash),
        ]
    }

    static func digest(
        previous: String, at: String, actor: String, role: String, device: String?, action: String, record: String?,
        youngPerson: String?, detail: String
    ) -> String {
        // Length-prefixed fields: no two different entries hash the same text.
        // Written straight into bytes: this runs for every operation on the writer thread.
        var text: [UInt8] = []
        text.reserveCapacity(256 + detail.utf8.count)
        for (n, field) in [previous, at, actor, role, device ?? "", action, record ?? "", youngPerson ?? "", detail].enumerated() {
            if n > 0 { text.append(UInt8(ascii: "|")) }
            text.append(contentsOf: String(field.utf8.count).utf8)
            text.append(UInt8(ascii: ":"))
            text.append(contentsOf: field.utf8)
        }
        return Hex.string(SHA256.hash(data: text))
    }

    static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(
            id: row["id"], at: row["at"], actor: row["actor"], role: row["role"], device: row["device_id"], action: row["action"],
            record: row["record_id"], youngPerson: row["young_person"], detail: row["detail"], previousHash: row["prev_hash"],
            hash: row["hash"])
    }

    /// Walks the whole chain; returns the first entry that does not fit, with why.
    static func verify(in db: Database) throws -> (checked: Int, broken: (id: Int64, reason: String)?) {
        var previous = genesis
        var expectedId: Int64 = 1
        var checked = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY id")
        while let row = try cursor.next() {
            let e = entry(row)
            if e.id != expectedId {
                return (checked, (expectedId, "entry \(expectedId) is missing (the next one is \(e.id))"))
            }
            if e.previousHash != previous {
                return (checked, (e.id, "entry \(e.id) does not follow the entry before it"))
            }
            let recomputed = digest(
                previous: e.previousHash, at: e.at, actor: e.actor, role: e.role, device: e.device, action: e.action,
                record: e.record, youngPerson: e.youngPerson, detail: e.detail)
            if recomputed != e.hash { return (checked, (e.id, "entry \(e.id) was altered after it was written")) }
            previous = e.hash
            expectedId += 1
            checked += 1
        }
        return (checked, nil)
    }
}
