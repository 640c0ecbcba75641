import FieldSyncProtocol
import Foundation
import GRDB

/// Reads the change feed: the current state of every record whose version is after the cursor,
/// in version order, a page at a time.
///
/// Each record's wire JSON is stored ready-made, so a page is written by joining stored bytes:
/// no decoding or encoding on the pull path. With one SQLite writer, versions become visible
/// in commit order, so a reader can never see version n+1 before n (contract 3.3).
struct FeedReader: Sendable {
    let database: ServerDatabase

    func page(after cursor: FeedCursor, limit: Int) async throws -> Data {
        let (documents, last) = try await database.pool.read { db -> ([Data], Int64?) in
            let rows = try Row.fetchAll(
                db, sql: "SELECT version, document FROM records WHERE version > ? ORDER BY version LIMIT ?",
                arguments: [cursor.sequence, limit + 1])
            let lastVersion: Int64? = rows.prefix(limit).last?["version"]
            return (rows.map { $0["document"] as Data }, lastVersion)
        }
        let more = documents.count > limit
        let next = FeedCursor(sequence: last ?? cursor.sequence)
        // Keys in sorted order, as WireProtocol's encoder writes them.
        var body = Data()
        body.reserveCapacity(documents.prefix(limit).reduce(64) { $0 + $1.count + 1 })
        body.append(contentsOf: Array("{\"cursor\":\"\(next.token)\",\"more\":\(more),\"records\":[".utf8))
        for (n, document) in documents.prefix(limit).enumerated() {
            if n > 0 { body.append(UInt8(ascii: ",")) }
            body.append(document)
        }
        body.append(contentsOf: Array("]}".utf8))
        return body
    }
}

/// Reads a record's history and its rejected changes.
struct HistoryReader: Sendable {
    let database: ServerDatabase

    func history(of record: UUID) async throws -> HistoryPage? {
        try await database.pool.read { db -> HistoryPage? in
            let decoder = WireProtocol.makeDecoder()
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM records WHERE id = ?", arguments: [record.uuidString]) != nil else {
                return nil
            }
            let versions = try Row.fetchAll(
                db, sql: "SELECT * FROM record_history WHERE record_id = ? ORDER BY version", arguments: [record.uuidString]
            ).map { row in
                HistoryEntry(
                    version: row["version"], operation: OperationType(rawValue: row["operation"]) ?? .update,
                    outcome: Outcome(rawValue: row["outcome"]) ?? .applied,
                    by: Authorship(
                        user: row["user_name"], device: UUID(uuidString: row["device_id"]) ?? UUID(),
                        changeSet: UUID(uuidString: row["change_set"]) ?? UUID(), madeAt: row["made_at"],
                        receivedAt: row["received_at"]),
                    changes: try decoder.decode(HistoryChanges.self, from: row["changes"] as Data))
            }
            let rejections = try Row.fetchAll(
                db, sql: "SELECT * FROM rejections WHERE record_id = ? ORDER BY id", arguments: [record.uuidString]
            ).map { row in
                RejectedChange(
                    changeSet: UUID(uuidString: row["change_set"]) ?? UUID(), index: row["op_index"], code: row["code"],
                    message: row["message"], by: row["user_name"], receivedAt: row["received_at"],
                    operation: try decoder.decode(ChangeOperation.self, from: row["operation"] as Data))
            }
            let conflicts = try Data.fetchAll(
                db, sql: "SELECT document FROM conflicts WHERE record_id = ? ORDER BY opened_version", arguments: [record.uuidString]
            ).map { try decoder.decode(Conflict.self, from: $0) }
            return HistoryPage(record: record, versions: versions, rejections: rejections, conflicts: conflicts)
        }
    }
}
