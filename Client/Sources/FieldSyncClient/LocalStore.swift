import FieldSyncProtocol
import Foundation
import GRDB

/// The device's local SQLite store: the server's records as last pulled, the device's view
/// ("server + mine"), the outbox of unsent change sets, the verdicts received and the cursor.
///
/// Every local edit is written with its outbox entry in one transaction, with
/// `synchronous = FULL`: an edit the CLI reported as saved survives a crash (contract 1.3).
final class LocalStore: Sendable {
    let queue: DatabaseQueue
    let path: String
    let cipher: StoreCipher
    let keyFile: StoreKeyFile

    /// A known value sealed with the store's key when the store is made: opening it proves the key fits.
    static let keyCheck = Data("fieldsync-store-key-check".utf8)

    init(path: String, keyFile: StoreKeyFile) throws(ClientError) {
        self.path = path
        self.keyFile = keyFile
        self.cipher = StoreCipher(key: try keyFile.loadOrCreate())
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw ClientError("storage_error", "Cannot create the folder \(directory) for the local store: \(error.localizedDescription)")
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw ClientError("storage_error", "Cannot open the local store at \(path): \(error)")
        }
        let check: String? = try read { db in try setting("key_check", in: db) }
        if let check {
            guard let sealed = Data(base64Encoded: check), (try? cipher.open(sealed)) == Self.keyCheck else {
                throw ClientError(
                    "store_key_mismatch",
                    "The local store at \(path) cannot be read with the key at \(keyFile.path): the key is missing or belongs to another store.")
            }
        } else {
            let sealed = try cipher.seal(Self.keyCheck)
            try write { db in try setSetting("key_check", sealed.base64EncodedString(), in: db) }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE settings(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    -- The records as the server last sent them.
                    CREATE TABLE server_records(id TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL, document BLOB NOT NULL);
                    -- The device's view: the server's record with the unsent local edits on top.
                    CREATE TABLE local_records(
                      id TEXT PRIMARY KEY NOT NULL,
                      kind TEXT NOT NULL,
                      young_person TEXT NOT NULL,
                      state TEXT NOT NULL,
                      deleted INTEGER NOT NULL,
                      pending INTEGER NOT NULL,
                      updated_at TEXT NOT NULL,
                      document BLOB NOT NULL
                    );
                    -- Change sets made here and not yet answered by the server, in the order made.
                    CREATE TABLE outbox(
                      sequence INTEGER PRIMARY KEY NOT NULL,
                      id TEXT UNIQUE NOT NULL,
                      made_at TEXT NOT NULL,
                      body BLOB NOT NULL,
                      attempts INTEGER NOT NULL DEFAULT 0
                    );
                    -- Young people who left this device's scope: their records are removed once nothing
                    -- of theirs is left to send.
                    CREATE TABLE departed_young_people(young_person TEXT PRIMARY KEY NOT NULL);
                    CREATE TABLE outbox_records(sequence INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY(sequence, record));
                    CREATE INDEX outbox_records_by_record ON outbox_records(record);
                    -- The server's answer to each operation sent from here.
                    CREATE TABLE verdicts(
                      change_set TEXT NOT NULL,
                      op_index INTEGER NOT NULL,
                      record TEXT NOT NULL,
                      outcome TEXT NOT NULL,
                      code TEXT,
                      message TEXT,
                      version INTEGER,
                      received_at TEXT NOT NULL,
                      operation BLOB NOT NULL,
                      PRIMARY KEY(change_set, op_index)
                    );
                    """)
        }
        return migrator
    }

    func setting(_ key: String, in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
    }

    func setSetting(_ key: String, _ value: String, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }

    func read<T>(_ body: (Database) throws -> T) throws(ClientError) -> T {
        do { return try queue.read(body) } catch let error as ClientError { throw error } catch { throw .storage(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(ClientError) -> T {
        do { return try queue.write(body) } catch let error as ClientError { throw error } catch { throw .storage(error) }
    }
}

/// Keys of the settings table.
enum SettingKey {
    static let server = "server"
    static let token = "token"
    static let device = "device"
    static let user = "user"
    static let role = "role"
    static let team = "team"
    static let cursor = "cursor"
    static let lastSyncAt = "last_sync_at"
    static let nextSequence = "next_sequence"
}
