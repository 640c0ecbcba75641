import FieldSyncProtocol
import Foundation
import GRDB

/// Moves a store sealed before values were bound to their rows onto ``SealedRow`` binding: every
/// sealed value opened unbound and sealed again for its row, in one transaction, then
/// `seal_scheme` set. A record found in a row that is not its own (swapped before the move) stops
/// it, and the store is left as it was.
enum StoreResealing {
    static func reseal(_ db: Database, cipher: StoreCipher, store: String) throws {
        // Another process may have re-sealed it while this one waited for the lock.
        if try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [SettingKey.sealScheme])
            == LocalStore.sealScheme
        {
            return
        }
        for key in [SettingKey.keyCheck, SettingKey.token] {
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key]),
                let sealed = Data(base64Encoded: text)
            else { continue }
            let plain = try cipher.openUnbound(sealed)
            try db.execute(
                sql: "UPDATE settings SET value = ? WHERE key = ?",
                arguments: [try cipher.seal(plain, for: .setting(key)).base64EncodedString(), key])
        }
        let decoder = WireProtocol.makeDecoder()
        for (table, row) in [("server_records", SealedRow.serverRecord), ("local_records", SealedRow.localRecord)] {
            for stored in try Row.fetchAll(db, sql: "SELECT id, document FROM \(table)") {
                let id: String = stored["id"]
                let plain = try cipher.openUnbound(stored["document"])
                let record = try RecordSnapshotFastDecoder.decode(plain) ?? decoder.decode(RecordSnapshot.self, from: plain)
                guard record.id == UUID(uuidString: id) else {
                    throw ClientError(
                        "store_value_invalid",
                        "The local store at \(store) has record \(record.id.uuidString.lowercased()) in the row of \(id.lowercased()) (\(table)): it was altered. Nothing was changed."
                    )
                }
                try db.execute(
                    sql: "UPDATE \(table) SET document = ? WHERE id = ?", arguments: [try cipher.seal(plain, for: row(id)), id])
            }
        }
        for stored in try Row.fetchAll(db, sql: "SELECT sequence, body FROM outbox") {
            let sequence: Int64 = stored["sequence"]
            let plain = try cipher.openUnbound(stored["body"])
            try db.execute(
                sql: "UPDATE outbox SET body = ? WHERE sequence = ?", arguments: [try cipher.seal(plain, for: .outbox(sequence)), sequence])
        }
        for stored in try Row.fetchAll(db, sql: "SELECT change_set, op_index, operation FROM verdicts") {
            let changeSet: String = stored["change_set"]
            let index: Int = stored["op_index"]
            let plain = try cipher.openUnbound(stored["operation"])
            try db.execute(
                sql: "UPDATE verdicts SET operation = ? WHERE change_set = ? AND op_index = ?",
                arguments: [try cipher.seal(plain, for: .verdict(changeSet: changeSet, index: index)), changeSet, index])
        }
        try db.execute(
            sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [SettingKey.sealScheme, LocalStore.sealScheme])
    }
}
