import Crypto
import FieldSyncProtocol
import Foundation
import GRDB

/// Schema v2 of the device store: less in plaintext (issue 15 item 6), a key of its own for case
/// content, and the list of records retention let go.
///
/// - Young-person ids become keyed hashes (``StoreCipher/index(youngPerson:)``) in
///   `local_records` and `departed_young_people`; the record state column goes (it is in the
///   sealed document); verdict messages are sealed; the last sync time is sealed.
/// - Case content (records, server copies, verdicts' operations) is sealed again with a new
///   content key, kept sealed with the store key (``LocalStore/newContentKey(cipher:in:)``).
/// One transaction: a store is either moved whole or left as it was.
enum SealedIndexMigration {
    static func run(_ db: Database, cipher store: StoreCipher) throws {
        let content = store.with(contentKey: try LocalStore.newContentKey(cipher: store, in: db))
        for (table, row) in [("server_records", SealedRow.serverRecord), ("local_records", SealedRow.localRecord)] {
            for stored in try Row.fetchAll(db, sql: "SELECT id, document FROM \(table)") {
                let id: String = stored["id"]
                let plain = try store.open(stored["document"], for: row(id))
                try db.execute(
                    sql: "UPDATE \(table) SET document = ? WHERE id = ?", arguments: [try content.seal(plain, for: row(id)), id])
            }
        }
        for stored in try Row.fetchAll(db, sql: "SELECT change_set, op_index, operation, message FROM verdicts") {
            let changeSet: String = stored["change_set"]
            let index: Int = stored["op_index"]
            let operation = try store.open(stored["operation"], for: .verdict(changeSet: changeSet, index: index))
            let message = try (stored["message"] as String?).map {
                try content.seal(Data($0.utf8), for: .verdictMessage(changeSet: changeSet, index: index))
            }
            try db.execute(
                sql: "UPDATE verdicts SET operation = ?, message = ? WHERE change_set = ? AND op_index = ?",
                arguments: [try content.seal(operation, for: .verdict(changeSet: changeSet, index: index)), message, changeSet, index])
        }
        try rekey(db, table: "local_records", key: "id", cipher: store)
        try rekey(db, table: "departed_young_people", key: "young_person", cipher: store)
        if let last = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [SettingKey.lastSyncAt]) {
            try db.execute(
                sql: "UPDATE settings SET value = ? WHERE key = ?",
                arguments: [
                    try store.seal(Data(last.utf8), for: .setting(SettingKey.lastSyncAt)).base64EncodedString(), SettingKey.lastSyncAt,
                ])
        }
        try db.execute(
            sql: """
                ALTER TABLE local_records DROP COLUMN state;
                -- Records retention let go (authorised or finalised, synced, unchanged for the server's
                -- retention): fetched again on demand. young_person is the keyed hash, for reallocation.
                CREATE TABLE retained_on_server(
                  id TEXT PRIMARY KEY NOT NULL,
                  kind TEXT NOT NULL,
                  young_person TEXT NOT NULL,
                  left_at TEXT NOT NULL
                );
                -- Records fetched on demand, and when: kept a day before retention lets them go again.
                CREATE TABLE fetched_on_demand(id TEXT PRIMARY KEY NOT NULL, fetched_at TEXT NOT NULL);
                """)
    }

    /// Replaces the young-person ids of `table` with their keyed hashes.
    private static func rekey(_ db: Database, table: String, key: String, cipher: StoreCipher) throws {
        for stored in try Row.fetchAll(db, sql: "SELECT \(key) AS k, young_person FROM \(table)") {
            guard let youngPerson = UUID(uuidString: stored["young_person"]) else { continue }
            try db.execute(
                sql: "UPDATE \(table) SET young_person = ? WHERE \(key) = ?",
                arguments: [cipher.index(youngPerson: youngPerson), stored["k"] as String])
        }
    }
}
