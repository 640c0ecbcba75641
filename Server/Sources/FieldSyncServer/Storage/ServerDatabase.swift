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
    /// Paths whose permissions were tightened when the store was opened (see ``DataFolderPermissions``).
    public var tightenedPermissions: [String] = []

    public static let fileName = "fieldsync.sqlite"

    /// - Parameter automaticCheckpoints: false in the serving process, which runs a
    ///   ``WALCheckpointer`` beside the writer instead.
    public static func open(dataDirectory: String, automaticCheckpoints: Bool = true) throws(StorageError) -> ServerDatabase {
        let tightened = try DataFolderPermissions.secure(folder: dataDirectory)
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
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
            try ServerSchema.migrator.migrate(pool)
            // The -wal and -shm files exist now; a store from an earlier build may have had them 0644.
            let walAndShm = try DataFolderPermissions.secure(folder: dataDirectory)
            return ServerDatabase(pool: pool, path: path, tightenedPermissions: tightened + walAndShm)
        } catch {
            throw StorageError("Cannot open the FieldSync database at \(path): \(error)")
        }
    }
}

/// A storage failure, with a sentence for the operator.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
