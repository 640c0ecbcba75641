import Crypto
import FieldSyncProtocol
import Foundation
import GRDB
import Synchronization

/// The device's local SQLite store: the server's records as last pulled, the device's view
/// ("server + mine"), the outbox of unsent change sets, the verdicts received and the cursor.
///
/// Every local edit is written with its outbox entry in one transaction, with
/// `synchronous = FULL`: an edit the CLI reported as saved survives a crash (contract 1.3).
final class LocalStore: Sendable {
    let queue: DatabaseQueue
    let path: String
    let keyFile: StoreKeyFile
    /// The store key and the content key; the content key changes when the offline erase runs.
    private let keys: Mutex<StoreCipher>
    var cipher: StoreCipher { keys.withLock { $0 } }

    /// A known value sealed with the store's key when the store is made: opening it proves the key fits.
    static let keyCheck = Data("fieldsync-store-key-check".utf8)
    /// How values are sealed: 2 binds each to its row (``SealedRow``). Stores without the setting
    /// were sealed unbound and are re-sealed when first opened (``StoreResealing``).
    static let sealScheme = "2"

    /// Opens the store at `path`, or makes it when there is no file there and `create` is true.
    ///
    /// Refuses, changing nothing: a file that is empty or not a FieldSync store (never a fresh
    /// start over it), and a store holding sealed values whose key file is missing (a new key
    /// would only hide them). A key is made only for a store that holds nothing sealed.
    init(path: String, keyFile: StoreKeyFile, create: Bool = true) throws(ClientError) {
        self.path = path
        self.keyFile = keyFile
        if !FileManager.default.fileExists(atPath: path) {
            guard create else {
                throw ClientError(
                    "store_missing",
                    "There is no local store at \(path). Enrol this device first (fieldsync enrol --server URL --code CODE), or point --store (or FIELDSYNC_STORE) at the store you meant."
                )
            }
            try Self.makeStore(at: path, keyFile: keyFile)
        }
        try StoreFileCheck.check(path)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted and overwritten content is zeroed in the file, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        let queue: DatabaseQueue
        let contents: StoreFileCheck.Contents
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            contents = try queue.read { db in try StoreFileCheck.contents(db) }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError("storage_error", "Cannot open the local store at \(path): \(error)")
        }
        guard contents.isFieldSyncStore else { throw StoreFileCheck.notAStore(path) }
        let key: SymmetricKey
        if keyFile.exists {
            key = try keyFile.load()
        } else if !contents.holdsSealedValues {
            key = try keyFile.loadOrCreate()
        } else {
            throw ClientError(
                "store_key_missing",
                """
                The local store at \(path) holds sealed data (its enrolment, records or unsent edits), but its key file \(keyFile.path) is missing, so it \
                cannot be read. Nothing was changed. Restore the key file (or set FIELDSYNC_KEY_DIR to the folder that has it). \
                If the key is lost, so is what the store holds: move the store aside and enrol again.
                """)
        }
        let cipher = StoreCipher(key: key)
        keys = Mutex(cipher)
        // Every refusal comes before anything is written to the file.
        let check = contents.keyCheck.flatMap { Data(base64Encoded: $0) }
        if let check {
            let opened =
                contents.sealScheme == Self.sealScheme
                ? try? cipher.open(check, for: .setting(SettingKey.keyCheck)) : try? cipher.openUnbound(check)
            guard opened == Self.keyCheck else {
                throw ClientError(
                    "store_key_mismatch",
                    "The local store at \(path) cannot be read with the key at \(keyFile.path): the key belongs to another store. Nothing was changed."
                )
            }
        } else if contents.holdsSealedValues {
            throw ClientError(
                "store_damaged",
                "The local store at \(path) holds sealed values but no key check: it was altered or damaged. Nothing was changed. Restore it from a backup, or move it aside and enrol again."
            )
        }
        do {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            // v1 first, so a store sealed before values were bound to rows is re-sealed before
            // the later migrations open its values (GRDB refuses `upTo` a migration already passed).
            let migrator = Self.migrator(cipher: cipher)
            if try queue.read({ db in try migrator.appliedIdentifiers(db) }).isEmpty { try migrator.migrate(queue, upTo: "v1") }
        } catch {
            throw ClientError("storage_error", "Cannot open the local store at \(path): \(error)")
        }
        self.queue = queue
        StoreFileCheck.tightenFiles(path)
        if check == nil {
            // An erased store (retired or revoked): it starts again with its new key.
            let sealed = try cipher.seal(Self.keyCheck, for: .setting(SettingKey.keyCheck))
            try write { db in
                try setSetting(SettingKey.keyCheck, sealed.base64EncodedString(), in: db)
                try setSetting(SettingKey.sealScheme, Self.sealScheme, in: db)
            }
        } else if contents.sealScheme != Self.sealScheme {
            // Before the later migrations, which open values bound to their rows.
            try write { db in try StoreResealing.reseal(db, cipher: cipher, store: path) }
        }
        do { try Self.migrator(cipher: cipher).migrate(queue) } catch let error as ClientError { throw error } catch {
            throw ClientError("storage_error", "Cannot open the local store at \(path): \(error)")
        }
        let contentKey = try write { db in try Self.contentKey(cipher: cipher, in: db) ?? Self.newContentKey(cipher: cipher, in: db) }
        keys.withLock { $0 = cipher.with(contentKey: contentKey) }
    }

    /// The content key (sealed with the store key in the settings), or nil when there is none:
    /// a store just erased, or made before there were two keys.
    static func contentKey(cipher: StoreCipher, in db: Database) throws -> SymmetricKey? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [SettingKey.contentKey])
        else { return nil }
        guard let sealed = Data(base64Encoded: text) else { throw StoreCipher.invalidValue }
        return SymmetricKey(data: try cipher.open(sealed, for: .setting(SettingKey.contentKey)))
    }

    /// Makes a new content key and keeps it (sealed) in the settings, in place of any old one.
    static func newContentKey(cipher: StoreCipher, in db: Database) throws -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        let sealed = try cipher.seal(key.withUnsafeBytes { Data($0) }, for: .setting(SettingKey.contentKey))
        try db.execute(
            sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [SettingKey.contentKey, sealed.base64EncodedString()])
        return key
    }

    /// Replaces the content key (the offline erase, after the case content is deleted): what
    /// is left of the old content anywhere on the disk no longer opens.
    func replaceContentKey(in db: Database) throws {
        let store = keys.withLock { StoreCipher(key: $0.key) }
        let key = try Self.newContentKey(cipher: store, in: db)
        keys.withLock { $0 = store.with(contentKey: key) }
    }

    /// A new store: made whole under a temporary name (schema, key check), then put in place, so
    /// a crash never leaves an empty or half-made file at `path`. The file and a folder made for it are private.
    static func makeStore(at path: String, keyFile: StoreKeyFile) throws(ClientError) {
        let fm = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !fm.fileExists(atPath: directory) {
            do {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ClientError(
                    "storage_error", "Cannot create the folder \(directory) for the local store: \(error.localizedDescription)")
            }
        }
        let cipher = StoreCipher(key: try keyFile.loadOrCreate())
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw ClientError("storage_error", "Cannot create the local store at \(path): \(String(cString: strerror(errno))).")
        }
        close(fd)
        defer { unlink(temporary) }
        do {
            let queue = try DatabaseQueue(path: temporary)
            try migrator(cipher: cipher).migrate(queue)
            let sealed = try cipher.seal(keyCheck, for: .setting(SettingKey.keyCheck))
            try queue.write { db in
                for (key, value) in [(SettingKey.keyCheck, sealed.base64EncodedString()), (SettingKey.sealScheme, sealScheme)] {
                    try db.execute(sql: "INSERT INTO settings(key, value) VALUES (?, ?)", arguments: [key, value])
                }
            }
            try queue.close()
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError("storage_error", "Cannot create the local store at \(path): \(error)")
        }
        // link() never replaces: if another process made the store meanwhile, that one is opened.
        if link(temporary, path) != 0 && errno != EEXIST {
            throw ClientError("storage_error", "Cannot create the local store at \(path): \(String(cString: strerror(errno))).")
        }
    }

    /// The store's schema. Migrations after v1 may open and seal values, so they take the
    /// store key (`cipher` has no content key yet).
    static func migrator(cipher: StoreCipher) -> DatabaseMigrator {
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
        migrator.registerMigration("v2-sealed-index") { db in try SealedIndexMigration.run(db, cipher: cipher) }
        migrator.registerMigration("v3-view-log") { db in
            // What was shown on this device, sealed (``DeviceViewEntry``), until the server has it (``ViewLog``).
            try db.execute(sql: "CREATE TABLE view_log(sequence INTEGER PRIMARY KEY NOT NULL, body BLOB NOT NULL)")
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

    /// A setting sealed with the store key for its row (its value is not for anyone who copies the file).
    func sealedSetting(_ key: String, in db: Database) throws -> String? {
        guard let text = try setting(key, in: db) else { return nil }
        guard let sealed = Data(base64Encoded: text) else { throw StoreCipher.invalidValue }
        return String(decoding: try cipher.open(sealed, for: .setting(key)), as: UTF8.self)
    }

    func setSealedSetting(_ key: String, _ value: String, in db: Database) throws {
        try setSetting(key, try cipher.seal(Data(value.utf8), for: .setting(key)).base64EncodedString(), in: db)
    }

    /// Rewrites the file without free pages and empties the write-ahead log, so nothing deleted
    /// is left on disk (erasures and wipes).
    func compact() throws(ClientError) {
        do {
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        } catch { throw .storage(error) }
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
    /// When a sync last reached the server (sealed).
    static let lastSyncAt = "last_sync_at"
    /// When the device last reached the server, by a sync or its enrolment (sealed): the offline
    /// lease and erase limit run from it.
    static let lastContactAt = "last_contact_at"
    /// The key case content is sealed with, itself sealed with the store key.
    static let contentKey = "content_key"
    /// The server's ``DevicePolicy`` for this device, as JSON (sealed).
    static let policy = "policy"
    /// When the offline erase last ran (sealed), for `status` and the refusals after it.
    static let erasedAt = "erased_at"
    static let nextSequence = "next_sequence"
    static let keyCheck = "key_check"
    static let sealScheme = "seal_scheme"
}
