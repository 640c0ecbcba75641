import FieldSyncProtocol
import Foundation
import GRDB

/// A record retention let go: it is on the server, and comes back on demand.
public struct RecordOnServer: Codable, Sendable {
    public let id: UUID
    public let kind: RecordKind
    public let leftAt: String
}

/// Retention on the device (domain model §5 item 7): device copies are transient. An authorised
/// visit or a finalised (or superseded) PEP that is synced, has no open conflict and has not
/// changed for the server's retention period leaves the device at the end of a sync; `show`
/// fetches it again (`GET /v1/records/{id}`), and it stays a day before it may leave again.
extension FieldSyncDevice {
    /// The states whose records retention lets go: nothing more will be written in them.
    static let releasedStates: [RecordKind: Set<String>] = [.visit: ["AUTHORISED"], .pep: ["FINALISED", "SUPERSEDED"]]
    /// How long a record fetched on demand stays before retention may let it go again.
    static let fetchedRecordHold: TimeInterval = 86_400

    /// Lets go of the records past retention; returns how many. Run after a sync reached the server.
    func releaseRetained(now: Date = Date()) throws(ClientError) -> Int {
        try store.write { db in
            let retention = TimeInterval(try policy(in: db).retentionSeconds)
            let holdSince = WireTime.format(now.addingTimeInterval(-Self.fetchedRecordHold))
            try db.execute(sql: "DELETE FROM fetched_on_demand WHERE fetched_at <= ?", arguments: [holdSince])
            // Only records unchanged for the retention period are opened (instants sort as text).
            let cutoff = WireTime.format(now.addingTimeInterval(-retention))
            let candidates = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, young_person, document FROM local_records
                    WHERE pending = 0 AND deleted = 0 AND updated_at < ? AND id NOT IN (SELECT record FROM outbox_records)
                      AND id NOT IN (SELECT id FROM fetched_on_demand)
                    """, arguments: [cutoff])
            var released = 0
            for row in candidates {
                let id: String = row["id"]
                let record = try unseal(RecordSnapshot.self, row["document"] as Data, from: .localRecord(id))
                guard Self.releasedStates[record.kind]?.contains(record.state) == true, record.conflicts.isEmpty,
                    let changed = WireTime.parse(record.updatedAt), now.timeIntervalSince(changed) > retention
                else { continue }
                try db.execute(sql: "DELETE FROM local_records WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM server_records WHERE id = ?", arguments: [id])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO retained_on_server(id, kind, young_person, left_at) VALUES (?, ?, ?, ?)",
                    arguments: [id, record.kind.rawValue, row["young_person"] as String, WireTime.format(now)])
                released += 1
            }
            return released
        }
    }

    /// The records retention let go, oldest first.
    public func recordsOnServer() throws(ClientError) -> [RecordOnServer] {
        try requireCaseAccess()
        return try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, kind, left_at FROM retained_on_server ORDER BY left_at, id").compactMap { row in
                guard let id = UUID(uuidString: row["id"]), let kind = RecordKind(rawValue: row["kind"]) else { return nil }
                return RecordOnServer(id: id, kind: kind, leftAt: row["left_at"])
            }
        }
    }

    /// Finds a record by id or unique prefix on this device, or, when retention let it go,
    /// fetches it from the server and holds it again.
    public func findOrFetchRecord(_ text: String) async throws(ClientError) -> LocalRecord {
        // findRecord checks the offline lease first, so a locked device never gets to the fetch.
        do { return try findRecord(text) } catch  where error.code == ClientError.noRecord("").code {
            let needle = text.lowercased()
            let matches: [String] = try store.read { db in
                try String.fetchAll(db, sql: "SELECT id FROM retained_on_server WHERE lower(id) LIKE ? || '%'", arguments: [needle])
            }
            guard matches.count == 1, let id = UUID(uuidString: matches[0]) else {
                if matches.count > 1 {
                    throw ClientError("ambiguous_record_id", "'\(text)' matches \(matches.count) records; give more of the id.")
                }
                throw error
            }
            return try logged(.show, try await fetchFromServer(id))
        }
    }

    /// `GET /v1/records/{id}`: the server's copy, stored as if pulled (it is in scope, or the
    /// server answers 404 and it is forgotten here too).
    func fetchFromServer(_ id: UUID) async throws(ClientError) -> LocalRecord {
        let answer = try await withConnection { connection throws(ClientError) in
            try await connection.send(.get, "v1/records/\(id.uuidString.lowercased())", headers: try healthHeaders())
        }
        if answer.status == 404 {
            try store.write { db in try db.execute(sql: "DELETE FROM retained_on_server WHERE id = ?", arguments: [id.uuidString]) }
            throw ClientError(
                "record_not_found",
                "Record \(id.uuidString.lowercased()) is no longer on the server for this device (it moved out of your caseload, or was removed)."
            )
        }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        let record: RecordSnapshot
        do {
            record = try RecordSnapshotFastDecoder.decode(answer.body) ?? decoder.decode(RecordSnapshot.self, from: answer.body)
        } catch { throw ClientError("bad_answer", "The server's copy of record \(id.uuidString.lowercased()) could not be read: \(error)") }
        guard record.id == id else { throw ClientError("bad_answer", "The server sent another record than \(id.uuidString.lowercased()).") }
        return try store.write { db in
            try hold(serverCopy: record, in: db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO fetched_on_demand(id, fetched_at) VALUES (?, ?)", arguments: [id.uuidString, WireTime.now()])
            return LocalRecord(snapshot: record, pending: false)
        }
    }
}
