import Foundation
import GRDB

/// Tells a FieldSync store from anything else at the store's path, before anything is written
/// to it: an empty file or another file is refused, never taken for a fresh start.
enum StoreFileCheck {
    /// SQLite's file header.
    static let sqliteHeader = Data("SQLite format 3\u{0}".utf8)

    /// Refuses a file that is empty or not an SQLite database.
    static func check(_ path: String) throws(ClientError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ClientError("storage_error", "Cannot read the local store at \(path) (check its owner and permissions).")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: sqliteHeader.count)) ?? Data()
        if header.isEmpty {
            throw ClientError(
                "store_empty",
                """
                The local store at \(path) is an empty file: it was truncated or replaced, and whatever it held (records, \
                unsent edits) is not in it. Nothing was changed. Restore it from a backup; only if you mean to start afresh, \
                delete it and enrol again.
                """)
        }
        if header != sqliteHeader { throw notAStore(path) }
    }

    static func notAStore(_ path: String) -> ClientError {
        ClientError(
            "store_not_fieldsync",
            "\(path) is not a FieldSync local store. Nothing was changed. Check --store (or FIELDSYNC_STORE) names this device's store.")
    }

    /// What an opened file holds, read without changing it.
    struct Contents {
        var isFieldSyncStore = false
        var holdsSealedValues = false
        var keyCheck: String?
        var sealScheme: String?
    }

    static let tables = ["settings", "server_records", "local_records", "outbox", "outbox_records", "verdicts", "departed_young_people"]

    static func contents(_ db: Database) throws -> Contents {
        var contents = Contents()
        let present = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        guard present.isSuperset(of: tables + ["grdb_migrations"]) else { return contents }
        contents.isFieldSyncStore = true
        contents.keyCheck = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [SettingKey.keyCheck])
        contents.sealScheme = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [SettingKey.sealScheme])
        contents.holdsSealedValues =
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS(SELECT 1 FROM settings WHERE key IN (?, ?)) OR EXISTS(SELECT 1 FROM server_records)
                      OR EXISTS(SELECT 1 FROM local_records) OR EXISTS(SELECT 1 FROM outbox) OR EXISTS(SELECT 1 FROM verdicts)
                    """,
                arguments: [SettingKey.keyCheck, SettingKey.token]) ?? true
        return contents
    }

    /// The store and its WAL files readable by their user only.
    static func tightenFiles(_ path: String) {
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            StoreKeyFile.tighten(file, to: 0o600)
        }
    }
}
