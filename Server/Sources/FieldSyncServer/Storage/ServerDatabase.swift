import Foundation
import GRDB

/// The server's SQLite store: one file `fieldsync.sqlite` in the data folder, in WAL mode with
/// `synchronous = FULL`, so a change set the server has acknowledged is on disk (contract 1.2).
///
/// The serving process and the admin commands open the same file; SQLite's locking and a busy
/// timeout let them work side by side.
public struct ServerDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    /// Where the audit chain's key is kept (outside the database).
    public let auditKeyFile: AuditKeyFile
    /// The audit key every connection of this database uses (see ``AuditKeyring``).
    let auditKey: AuditKeyring.Holder
    /// Paths whose permissions were tightened when the store was opened (see ``DataFolderPermissions``).
    public var tightenedPermissions: [String] = []

    public static let fileName = "fieldsync.sqlite"

    /// Whether the folder holds a FieldSync store this build can open (throws for a foreign file
    /// or a store from a newer release); reads only.
    public static func holdsStore(dataDirectory: String) throws(StorageError) -> Bool {
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        return try StoreCheck.inspect(databasePath: path, dataDirectory: dataDirectory, known: ServerSchema.migrator.migrations) != .absent
    }

    /// - Parameters:
    ///   - automaticCheckpoints: false in the serving process, which runs a
    ///     ``WALCheckpointer`` beside the writer instead.
    ///   - auditKeyFile: the audit key's file; nil for ``AuditKeyFile/resolve(option:dataDirectory:)``'s default.
    ///   - createAuditKey: false to open without making a missing audit key (a read-only check).
    ///   - createStore: false to refuse a folder that holds no store (`no_store`) rather than make
    ///     one: admin commands, where a mistyped `--data` must not start an empty store.
    ///
    /// A file that is not a FieldSync store, or a store migrated by a newer release, is refused
    /// before anything writes to it (``StoreCheck``).
    public static func open(
        dataDirectory: String, automaticCheckpoints: Bool = true, auditKeyFile: AuditKeyFile? = nil, createAuditKey: Bool = true,
        createStore: Bool = true
    ) throws(StorageError) -> ServerDatabase {
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        let presence = try StoreCheck.inspect(databasePath: path, dataDirectory: dataDirectory, known: ServerSchema.migrator.migrations)
        if presence == .absent && !createStore { throw StoreCheck.noStore(in: dataDirectory) }
        let tightened = try DataFolderPermissions.secure(folder: dataDirectory)
        let keyFile = auditKeyFile ?? AuditKeyFile.resolve(option: nil, dataDirectory: dataDirectory)
        let holder = AuditKeyring.Holder()
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            AuditKeyring.register(db, holder)
            // Only a new, empty database takes this (before GRDB turns WAL on); an existing one
            // keeps the page size it was made with.
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A larger page cache keeps the indexes' hot pages in memory under bulk pushes, and
            // rarer, larger checkpoints copy each often-written page back once rather than many times.
            try db.execute(sql: "PRAGMA cache_size = -32000")
            try db.execute(sql: automaticCheckpoints ? "PRAGMA wal_autocheckpoint = 8000" : "PRAGMA wal_autocheckpoint = 0")
            // After a burst the WAL file is cut back to 16 MiB when it restarts, not kept at its
            // high-water mark (``WALCheckpointer`` reads the file's size as the WAL's length).
            try db.execute(sql: "PRAGMA journal_size_limit = 16777216")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            let migrator = ServerSchema.migrator
            try migrator.migrate(pool)
            if presence != .fieldSync(applied: Set(migrator.migrations)) {
                try pool.write { db in try StoreCheck.recordMigration(in: db) }
            }
            try AuditKeySetup.prepare(pool, holder: holder, file: keyFile, create: createAuditKey)
            // The -wal and -shm files exist now; a store from an earlier build may have had them 0644.
            let walAndShm = try DataFolderPermissions.secure(folder: dataDirectory)
            return ServerDatabase(
                pool: pool, path: path, auditKeyFile: keyFile, auditKey: holder, tightenedPermissions: tightened + walAndShm)
        } catch let error as AuditKeyError {
            throw StorageError(error.message, code: error.code)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError("Cannot open the FieldSync database at \(path): \(error)")
        }
    }
}

/// A storage failure, with a sentence for the operator.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    /// What went wrong, for scripts (`storage_error`, or an audit key's `audit_key_…`).
    public let code: String
    public init(_ message: String, code: String = "storage_error") {
        self.message = message
        self.code = code
    }
    /// The sentence and its code, as `serve` prints a refusal (`Error: … [store_in_use]`).
    public var description: String { "\(message) [\(code)]" }
}
