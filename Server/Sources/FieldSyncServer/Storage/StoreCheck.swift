import FieldSyncProtocol
import Foundation
import GRDB

/// Looks at a data folder's database before anything opens it for writing, through a read-only
/// connection, so a folder that is refused is left exactly as it was:
/// - no database (or an empty file): ``Presence/absent``, which only `serve` and `admin init` may
///   turn into a new store;
/// - an SQLite file without FieldSync's migrations table: not a FieldSync store (`not_a_store`);
/// - a store holding migrations this build does not know: migrated by a newer release
///   (`store_too_new`), which an older binary must not serve or write.
enum StoreCheck {
    enum Presence: Equatable {
        case absent
        /// A FieldSync store, with the migrations applied to it.
        case fieldSync(applied: Set<String>)
    }

    /// The `store_info` key naming the release that last applied migrations to the store.
    static let migratedByKey = "migrated_by"

    static func inspect(databasePath path: String, dataDirectory: String, known: [String]) throws(StorageError) -> Presence {
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
        guard let size, size.int64Value > 0 else { return .absent }
        struct Seen: Sendable {
            var tables = 0
            var fieldSync = false
            var applied: Set<String> = []
            var migratedBy: String?
        }
        let seen: Seen
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            seen = try queue.read { db in
                var seen = Seen()
                seen.tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                seen.fieldSync = try db.tableExists("grdb_migrations")
                guard seen.fieldSync else { return seen }
                seen.applied = try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations")
                if try db.tableExists("store_info") {
                    seen.migratedBy = try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = ?", arguments: [migratedByKey])
                }
                return seen
            }
        } catch {
            throw StorageError(
                "\(path) is not a FieldSync store (it cannot be read as an SQLite database: \(error)). Nothing was changed; check --data.",
                code: "not_a_store")
        }
        if !seen.fieldSync {
            guard seen.tables > 0 else { return .absent }
            throw StorageError(
                "\(path) is an SQLite database but not a FieldSync store (it has none of FieldSync's tables). Nothing was changed; check --data.",
                code: "not_a_store")
        }
        let unknown = seen.applied.subtracting(known)
        guard unknown.isEmpty else {
            let newer = seen.migratedBy.map { "fieldsync-server \($0)" } ?? "a newer fieldsync-server"
            throw StorageError(
                """
                The store in \(dataDirectory) was migrated by \(newer); this is fieldsync-server \(FieldSyncVersion.current), which \
                does not know its migrations \(unknown.sorted().joined(separator: ", ")). Nothing was changed. Run \
                \(seen.migratedBy.map { "fieldsync-server \($0) or later" } ?? "the newer release") on it, or restore a backup \
                taken before the upgrade.
                """,
                code: "store_too_new")
        }
        return .fieldSync(applied: seen.applied)
    }

    /// The refusal of an admin command on a folder with no store (a mistyped `--data`, say).
    static func noStore(in dataDirectory: String) -> StorageError {
        StorageError(
            """
            There is no FieldSync store in \(dataDirectory) (no \(ServerDatabase.fileName) there). Nothing was changed. Check --data; \
            to make a new store there, run: fieldsync-server admin --data \(dataDirectory) init (or start fieldsync-server serve on it).
            """,
            code: "no_store")
    }

    /// Writes down this release as the one that last migrated the store.
    static func recordMigration(in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO store_info(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [migratedByKey, FieldSyncVersion.current])
    }
}
