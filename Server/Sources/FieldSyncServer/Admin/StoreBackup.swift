import FieldSyncProtocol
import Foundation
import GRDB

/// An online backup of a data folder: a new folder that `serve --data` runs as it is.
///
/// The database is copied with SQLite's online backup API inside one read transaction of the
/// source, so the copy is one consistent snapshot (WAL content included) taken while the server
/// goes on committing; the audit trail's newest entry is read in the same transaction, so the
/// report names exactly the head the copy holds. The files the folder needs beside the database
/// (the audit key when it lives there, the working-day calendar) are copied 0600 into a 0700
/// folder. The lock file and the `-wal`/`-shm` files are not copied: the copy has no WAL.
public enum StoreBackup {
    /// Copies `database`'s data folder to `target`, which must be missing or an empty folder.
    /// A failed backup removes what it wrote. Writes a `BACKUP` audit entry (which the copy holds).
    public static func take(from database: ServerDatabase, to target: String) throws(AdminError) -> BackupReport {
        let sourceFolder = (database.path as NSString).deletingLastPathComponent
        let createdFolder = try prepare(target: target, source: sourceFolder)
        do {
            return try copy(database, from: sourceFolder, to: target)
        } catch {
            discard(target, removeFolder: createdFolder)
            throw error
        }
    }

    /// Checks a copy: SQLite's integrity check, the audit chain with the audit key, the copy's
    /// newest audit entry being the head the backup recorded, and the source's trail still
    /// holding that entry with the same hash (the copy is a prefix of the live trail).
    public static func verify(_ report: BackupReport, source: ServerDatabase) throws(AdminError) -> BackupVerification {
        let keyFile =
            report.auditKeyOutside.map(AuditKeyFile.init(path:))
            ?? AuditKeyFile(path: (report.to as NSString).appendingPathComponent(AuditKeyFile.defaultName))
        let copy: ServerDatabase
        do {
            copy = try ServerDatabase.open(dataDirectory: report.to, auditKeyFile: keyFile, createAuditKey: false, createStore: false)
        } catch {
            throw AdminError("backup_unreadable", "The copy in \(report.to) cannot be opened: \(error.message)")
        }
        defer {
            // Leave the copy as the backup wrote it: whatever opening it put in its WAL goes back
            // into the database file, and the WAL is emptied.
            _ = try? copy.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try? copy.pool.close()
        }
        let checks = AdminService(database: copy)
        let integrity: [String] = try checks.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        let anchor = AuditAnchor(entries: report.auditEntries, head: report.auditHead, takenAt: report.takenAt, key: nil)
        let audit = try checks.verifyAudit(anchor: anchor)
        let copyNewest: Int64 = try checks.read { db in try Int64.fetchOne(db, sql: "SELECT max(id) FROM audit_log") ?? 0 }
        let head = report.auditEntries
        let sourceHash: String? = try AdminService(database: source).read { db in
            try String.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE id = ?", arguments: [head])
        }
        var problems: [String] = []
        if integrity != ["ok"] { problems.append("SQLite's integrity check found: \(integrity.prefix(5).joined(separator: "; "))") }
        if !audit.intact { problems.append("the copy's audit trail is broken: \(audit.reason ?? "")") }
        if audit.intact && !audit.keyed && report.auditKeyed {
            problems.append("the copy's audit trail could not be checked with the audit key (\(keyFile.path))")
        }
        if copyNewest != head {
            problems.append("the copy's newest audit entry is \(copyNewest), but the source's was \(head) when the copy was taken")
        }
        if sourceHash != report.auditHead {
            problems.append(
                sourceHash == nil
                    ? "the source's audit trail no longer holds entry \(head)"
                    : "the source's audit entry \(head) no longer has the hash the copy holds: one of the two trails was rewritten")
        }
        return BackupVerification(
            ok: problems.isEmpty, integrity: integrity.count == 1 ? integrity[0] : "\(integrity.count) problems",
            auditEntriesChecked: audit.checked, auditKeyed: audit.keyed,
            headMatchesSource: copyNewest == head && sourceHash == report.auditHead,
            problems: problems)
    }

    /// Makes or checks the target folder; returns whether this call made it.
    private static func prepare(target: String, source: String) throws(AdminError) -> Bool {
        let fm = FileManager.default
        let resolvedTarget = URL(fileURLWithPath: target).standardizedFileURL.resolvingSymlinksInPath().path
        let resolvedSource = URL(fileURLWithPath: source).standardizedFileURL.resolvingSymlinksInPath().path
        if resolvedTarget == resolvedSource || resolvedTarget.hasPrefix(resolvedSource + "/") {
            throw AdminError("backup_target_invalid", "--to must be outside the data folder \(source), not \(target).")
        }
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw AdminError("backup_target_invalid", "\(target) is a file; --to must name a new or empty folder.")
            }
            let entries = (try? fm.contentsOfDirectory(atPath: target)) ?? []
            guard entries.isEmpty else {
                throw AdminError(
                    "backup_target_not_empty",
                    "\(target) is not empty (\(entries.count) entries); a backup goes into a new or empty folder, so nothing was written. Pick another --to."
                )
            }
            guard chmod(target, DataFolderPermissions.folderMode) == 0 else {
                throw AdminError("backup_target_invalid", "\(target) cannot be made private (0700): \(String(cString: strerror(errno))).")
            }
            return false
        }
        do {
            try fm.createDirectory(
                atPath: target, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(DataFolderPermissions.folderMode)])
        } catch {
            throw AdminError("backup_target_invalid", "Cannot create the folder \(target): \(error.localizedDescription)")
        }
        _ = chmod(target, DataFolderPermissions.folderMode)
        return true
    }

    private struct Snapshot: Sendable {
        var entries: Int64
        var head: String
        var records: Int
        var changeSets: Int
    }

    /// How far a backup's feed jumps ahead: 2^32 positions, more than a store writes between a
    /// backup and its restore (W1's 17,000 records/s would take three days), and 2^21 restores
    /// before feed positions leave the 2^53 every JSON reader holds exactly.
    static let feedGap: Int64 = 1 << 32

    private static func copy(_ database: ServerDatabase, from source: String, to target: String) throws(AdminError) -> BackupReport {
        let takenAt = WireTime.now()
        let admin = AdminService(database: database)
        try admin.write { db in try AdminService.audit(db, .backup, detail: "to=\(target)") }
        let destinationPath = (target as NSString).appendingPathComponent(ServerDatabase.fileName)
        let snapshot: Snapshot
        do {
            let destination = try DatabaseQueue(path: destinationPath)
            // One read transaction: the head, the counts and every page come from the same snapshot.
            snapshot = try database.pool.read { db in
                let head = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                let snapshot = Snapshot(
                    entries: head?["id"] ?? 0, head: head?["hash"] ?? AuditLog.genesis,
                    records: try Int.fetchOne(db, sql: "SELECT count(*) FROM records") ?? 0,
                    changeSets: try Int.fetchOne(db, sql: "SELECT count(*) FROM change_sets") ?? 0)
                try destination.writeWithoutTransaction { destinationDb in try db.backup(to: destinationDb) }
                return snapshot
            }
            // The copy's feed goes on from far past anything the source can have given out
            // since, so a device whose cursor was issued after the backup misses nothing the
            // restored server writes (contract 3.3). Without it, the restored feed would reuse
            // positions the device had already read past, and skip those records.
            try destination.write { db in
                try db.execute(sql: "UPDATE feed_counter SET value = value + ? WHERE id = 1", arguments: [Self.feedGap])
            }
            try destination.close()
            try PrivateFile.sync(destinationPath)
        } catch let failure as PrivateFile.Failure {
            throw AdminError("backup_failed", "The copy \(destinationPath) could not be synced to disk: \(failure.reason).")
        } catch {
            throw AdminError("backup_failed", "The database could not be copied to \(destinationPath): \(error)")
        }
        var files = [ServerDatabase.fileName]
        // Not AuditKeyFile.resolve: that would follow $FIELDSYNC_AUDIT_KEY_FILE out of the folder.
        let keyInFolder = samePath(database.auditKeyFile.path, (source as NSString).appendingPathComponent(AuditKeyFile.defaultName))
        var companions = [ComplianceReport.bankHolidayFile]
        if keyInFolder { companions.insert(AuditKeyFile.defaultName, at: 0) }
        for name in companions {
            let from = (source as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: from) else { continue }
            guard let data = FileManager.default.contents(atPath: from) else {
                throw AdminError("backup_failed", "Cannot read \(from) (check its owner and permissions).")
            }
            let to = (target as NSString).appendingPathComponent(name)
            do { try PrivateFile.createNew(at: to, contents: data) } catch {
                throw AdminError("backup_failed", "Cannot write \(to): \(error.reason).")
            }
            files.append(name)
        }
        PrivateFile.syncFolder(target)
        let bytes = files.reduce(0) { total, name in
            let size =
                (try? FileManager.default.attributesOfItem(atPath: (target as NSString).appendingPathComponent(name))[.size]) as? NSNumber
            return total + (size?.intValue ?? 0)
        }
        return BackupReport(
            source: source, to: target, takenAt: takenAt, auditEntries: snapshot.entries, auditHead: snapshot.head,
            auditKeyed: database.auditKey.key != nil, records: snapshot.records, changeSets: snapshot.changeSets, bytes: bytes,
            files: files,
            auditKeyOutside: keyInFolder ? nil : database.auditKeyFile.path)
    }

    private static func samePath(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Removes a failed backup's files (and the folder, when this backup made it).
    private static func discard(_ target: String, removeFolder: Bool) {
        let fm = FileManager.default
        if removeFolder {
            try? fm.removeItem(atPath: target)
            return
        }
        for name in (try? fm.contentsOfDirectory(atPath: target)) ?? [] {
            try? fm.removeItem(atPath: (target as NSString).appendingPathComponent(name))
        }
    }
}

/// What `admin backup` copied, and the audit head the copy holds.
public struct BackupReport: Codable, Sendable {
    public let source: String
    public let to: String
    public let takenAt: String
    /// The newest audit entry in the copy (the source's newest when the copy was taken), and its hash.
    public let auditEntries: Int64
    public let auditHead: String
    /// Whether the source's trail is keyed (so the copy must check out with the key).
    public let auditKeyed: Bool
    public let records: Int
    public let changeSets: Int
    public let bytes: Int
    public let files: [String]
    /// The audit key file when it lives outside the data folder: not copied; back it up apart,
    /// and give it to `serve --audit-key-file` on the copy.
    public let auditKeyOutside: String?
    public var verification: BackupVerification?
}

/// What `admin backup --verify` found in the copy.
public struct BackupVerification: Codable, Sendable {
    public let ok: Bool
    /// SQLite's `PRAGMA integrity_check` answer (`ok`).
    public let integrity: String
    public let auditEntriesChecked: Int
    public let auditKeyed: Bool
    /// The copy's newest audit entry is the backup's recorded head, and the source still holds it.
    public let headMatchesSource: Bool
    public let problems: [String]
}
