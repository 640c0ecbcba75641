import FieldSyncProtocol
import Foundation
import GRDB

/// Loads the audit key when a database opens, or makes it for a database that has none yet.
///
/// A key is made only when the audit trail is not keyed already: empty, or written before keys
/// existed (its newest entry checks out with the plain SHA-256 chain). A keyed trail whose key
/// file is missing is refused: a new key would leave every entry unverifiable.
enum AuditKeySetup {
    /// - Parameter create: false for `admin audit --verify` and `anchor`, which read only: with
    ///   no key they check what they can and say the key is missing.
    static func prepare(_ pool: DatabasePool, holder: AuditKeyring.Holder, file: AuditKeyFile, create: Bool) throws(AuditKeyError) {
        if file.exists {
            holder.set(try file.load())
            return
        }
        guard create else { return }
        do {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    // Another process may have made the key while this one waited for the lock.
                    if file.exists {
                        holder.set(try file.load())
                        return .commit
                    }
                    try refuseIfKeyed(db, file: file)
                    let next =
                        try Int64.fetchOne(
                            db,
                            sql: """
                                SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0),
                                           COALESCE((SELECT max(id) FROM audit_log), 0)) + 1
                                """) ?? 1
                    let key = AuditKey.generate(keyedFrom: next)
                    holder.set(key)
                    do {
                        try AuditLog.append(
                            AuditLog.Event(
                                actor: "system", role: Role.admin.rawValue, device: nil, action: .auditKeyCreated,
                                detail: next == 1 ? "key=\(key.fingerprint)" : "key=\(key.fingerprint) legacy_entries=\(next - 1)"),
                            in: db)
                        guard db.lastInsertedRowID == next else {
                            throw AuditKeyError(
                                code: "audit_key_unwritable", message: "The audit trail's next entry id could not be fixed; try again.")
                        }
                        try file.create(key)
                    } catch {
                        holder.set(nil)
                        throw error
                    }
                    return .commit
                }
            }
        } catch let error as AuditKeyError {
            throw error
        } catch {
            throw AuditKeyError(code: "storage_error", message: "The audit key could not be set up: \(error)")
        }
    }

    /// Throws when the newest entry is not a plain SHA-256 entry (so the trail is keyed, or was altered).
    static func refuseIfKeyed(_ db: Database, file: AuditKeyFile) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM audit_log ORDER BY id DESC LIMIT 1") else { return }
        let e = AuditLog.entry(row)
        if AuditLog.digest(of: e, key: nil) != e.hash {
            throw AuditKeyError(
                code: "audit_key_missing",
                message: """
                    The audit key file \(file.path) is missing, but the audit trail is keyed (its newest entry, \(e.id), \
                    is not a plain SHA-256 entry). Nothing was changed. Restore the key file from your backup, or point \
                    --audit-key-file (or \(AuditKeyFile.environmentVariable)) at it; a new key would leave the trail unverifiable.
                    """)
        }
    }
}
