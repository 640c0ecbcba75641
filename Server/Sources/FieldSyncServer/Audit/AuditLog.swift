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
    /// For a view made on a device and uploaded later (`OFFLINE_VIEW`): true, and when it
    /// happened by the device's clock (`at` is when the server received it). Read from the detail;
    /// not part of the hash.
    public var offline: Bool? = nil
    public var deviceAt: String? = nil
}

/// Appends to and checks the hash-chained audit log.
///
/// Each entry's hash covers the previous entry's hash and the entry's fields, so removing,
/// reordering or altering any entry breaks every hash after it. Since the audit key
/// (``AuditKey``) the hash is an HMAC-SHA256 with a key kept outside the database, so a rewrite
/// cannot be recomputed by someone who holds only the database; entries written before the key
/// keep their plain SHA-256 hashes. The newest entries can still be cut off without breaking the
/// chain: an anchor (``AuditAnchor``, head hash and entry count kept elsewhere) catches that.
/// The table also refuses UPDATE and DELETE by trigger; the chain catches what is done around the
/// triggers (a copied file, a dropped trigger).
enum AuditLog {
    static let genesis = String(repeating: "0", count: 64)

    struct Event {
        var actor: String
        var role: String
        var device: String?
        var action: AuditAction
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
    /// table when the head does not know it) with the database's audit key. Insert the rows in the
    /// order they were made, in the transaction that made them.
    static func row(_ event: Event, at time: String, head: Head, in db: Database) throws -> [SQLValue] {
        guard let key = AuditKeyring.key(for: db) else {
            throw AuditKeyError(
                code: "audit_key_missing", message: "The audit key is not loaded, so nothing can be written to the audit trail.")
        }
        let previous =
            try head.hash
            ?? String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")) ?? genesis
        let hash = digest(
            previous: previous, at: time, actor: event.actor, role: event.role, device: event.device, action: event.action.rawValue,
            record: event.record, youngPerson: event.youngPerson, detail: event.detail, key: key)
        head.hash = hash
        return [
            .text(time), .text(event.actor), .text(event.role), .text(event.device), .text(event.action.rawValue), .text(event.record),
            .text(event.youngPerson), .text(event.detail), .text(previous), .text(hash),
        ]
    }

    /// An entry's hash: HMAC-SHA256 with `key`, or plain SHA-256 (entries from before the key)
    /// when `key` is nil.
    static func digest(
        previous: String, at: String, actor: String, role: String, device: String?, action: String, record: String?,
        youngPerson: String?, detail: String, key: AuditKey?
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
        if let key { return key.mac(text) }
        return Hex.string(SHA256.hash(data: text))
    }

    /// A stored entry's hash recomputed (over its stored previous hash).
    static func digest(of e: AuditEntry, key: AuditKey?) -> String {
        digest(
            previous: e.previousHash, at: e.at, actor: e.actor, role: e.role, device: e.device, action: e.action, record: e.record,
            youngPerson: e.youngPerson, detail: e.detail, key: key)
    }

    static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(
            id: row["id"], at: row["at"], actor: row["actor"], role: row["role"], device: row["device_id"], action: row["action"],
            record: row["record_id"], youngPerson: row["young_person"], detail: row["detail"], previousHash: row["prev_hash"],
            hash: row["hash"])
    }

    /// Walks the whole chain with this connection's audit key; returns the first entry that does
    /// not fit, with why. (``walk(in:key:keyFile:anchoredAt:)`` says more.)
    static func verify(in db: Database) throws -> (checked: Int, broken: (id: Int64, reason: String)?) {
        let walk = try walk(in: db, key: AuditKeyring.key(for: db), keyFile: "of this database")
        return (walk.checked, walk.broken)
    }

    /// What a walk of the chain found.
    struct Walk {
        /// Entries that check out, from the first.
        var checked = 0
        /// The first entry that does not fit, with why.
        var broken: (id: Int64, reason: String)?
        /// The newest entry's id (0 for an empty trail), whether or not the chain holds to it.
        var lastId: Int64 = 0
        /// The stored hash of the entry an anchor names, when the trail reaches it.
        var hashAtAnchor: String?
    }

    /// Walks the whole chain with the database's audit key (plain SHA-256 before the key's first
    /// entry, or throughout when there is no key); stops at the first entry that does not fit.
    /// - Parameter anchoredAt: the entry whose stored hash to report (an anchor's entry count).
    static func walk(in db: Database, key: AuditKey?, keyFile: String, anchoredAt: Int64? = nil) throws -> Walk {
        var walk = Walk()
        var previous = genesis
        var expectedId: Int64 = 1
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY id")
        while let row = try cursor.next() {
            let e = entry(row)
            walk.lastId = e.id
            if e.id == anchoredAt { walk.hashAtAnchor = e.hash }
            guard walk.broken == nil else { continue }
            if e.id != expectedId {
                walk.broken = (expectedId, "entry \(expectedId) is missing (the next one is \(e.id))")
                continue
            }
            if e.previousHash != previous {
                walk.broken = (e.id, "entry \(e.id) does not follow the entry before it")
                continue
            }
            let keyed = key.map { e.id >= $0.keyedFrom } ?? false
            if digest(of: e, key: keyed ? key : nil) != e.hash {
                if key == nil {
                    walk.broken = (
                        e.id,
                        "entry \(e.id) does not check out as a plain SHA-256 entry: it was altered, or it is keyed and the audit key file \(keyFile) is missing"
                    )
                } else if e.id == key?.keyedFrom {
                    walk.broken = (
                        e.id,
                        "entry \(e.id), the first keyed entry, does not check out with the audit key: it was altered, or the key file \(keyFile) belongs to another database"
                    )
                } else {
                    walk.broken = (e.id, "entry \(e.id) was altered after it was written (its hash does not check out with the audit key)")
                }
                continue
            }
            previous = e.hash
            expectedId += 1
            walk.checked += 1
        }
        if walk.broken == nil, let key, walk.lastId < key.keyedFrom {
            walk.broken = (
                walk.lastId + 1,
                "the trail ends at entry \(walk.lastId), but the audit key was made when entry \(key.keyedFrom) was written: the newest entries were removed"
            )
        }
        return walk
    }
}
