import FieldSyncProtocol
import Foundation
import GRDB

/// Reads the change feed for one device: the current state of every record in the device's
/// scope whose version is after the cursor, in version order, a page at a time.
///
/// Each record's wire JSON is stored ready-made, so a page is written by joining stored bytes:
/// no decoding or encoding on the pull path. With one SQLite writer, versions become visible
/// in commit order, so a reader can never see version n+1 before n (contract 3.3).
///
/// Scope changes (contract 5.3): the cursor carries the generation of the scope it was given
/// under. When the user's scope now differs, the next page is a catch-up: every record of the
/// young people gained (up to the cursor's sequence; later ones follow in the normal feed), and
/// the list of young people lost, which the device removes. The cursor then names a new generation.
struct FeedReader: Sendable {
    let database: ServerDatabase

    func page(for device: AuthenticatedDevice, after cursor: FeedCursor, limit: Int, report: DeviceReport? = nil) async throws -> Data {
        let deviceId = device.deviceId.uuidString
        let decoder = WireProtocol.makeDecoder()
        let encoder = WireProtocol.makeEncoder()
        return try await database.pool.write { db -> Data in
            let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
            var previous: AccessScope?
            if cursor.generation > 0,
                let data = try Data.fetchOne(
                    db, sql: "SELECT scope FROM scope_snapshots WHERE device_id = ? AND generation = ?",
                    arguments: [deviceId, cursor.generation])
            {
                previous = try decoder.decode(AccessScope.self, from: data)
            } else if cursor.sequence == 0 {
                previous = scope  // a first pull gets the whole scope through the feed itself
            }
            var generation = cursor.generation
            if previous != scope || generation == 0 {
                generation = (try Int64.fetchOne(db, sql: "SELECT MAX(generation) FROM scope_snapshots WHERE device_id = ?", arguments: [deviceId]) ?? 0) + 1
                try db.execute(
                    sql: "INSERT INTO scope_snapshots(device_id, generation, scope, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [deviceId, generation, try encoder.encode(scope), WireTime.now()])
            }

            let rows: [Row]
            var removed: [UUID] = []
            var more: Bool
            var lastVersion = cursor.sequence
            let catchUp = previous.map { $0 != scope } ?? true
            if catchUp {
                let before = previous ?? .none
                let lostKind = !before.kinds.isSubset(of: scope.kinds) || (before.allYoungPeople && !scope.allYoungPeople)
                removed = lostKind ? Array(before.youngPeople) : Array(before.youngPeople.subtracting(scope.youngPeople))
                let gained = scope.youngPeople.subtracting(lostKind ? [] : before.youngPeople)
                let widened = scope.allYoungPeople && !before.allYoungPeople || !scope.kinds.isSubset(of: before.kinds)
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT version, document FROM records
                        WHERE version <= ? AND kind IN (SELECT value FROM json_each(?))
                          AND (? OR young_person IN (SELECT value FROM json_each(?)))
                        ORDER BY version
                        """,
                    arguments: [
                        cursor.sequence, Self.kindsJSON(scope.kinds), widened && scope.allYoungPeople,
                        widened ? scope.youngPeopleJSON : AccessScope(allYoungPeople: false, youngPeople: gained, kinds: []).youngPeopleJSON,
                    ])
                more = true
            } else {
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT version, document FROM records
                        WHERE version > ? AND kind IN (SELECT value FROM json_each(?))
                          AND (? OR young_person IN (SELECT value FROM json_each(?)))
                        ORDER BY version LIMIT ?
                        """,
                    arguments: [cursor.sequence, Self.kindsJSON(scope.kinds), scope.allYoungPeople, scope.youngPeopleJSON, limit + 1])
                more = rows.count > limit
                if let last: Int64 = rows.prefix(limit).last?["version"] { lastVersion = last }
            }
            let documents = (catchUp ? rows[...] : rows.prefix(limit)).map { $0["document"] as Data }
            let next = FeedCursor(sequence: lastVersion, generation: generation)
            let page = DirectJSON.pullPage(documents: documents, cursor: next, more: more, removed: removed)
            if let report {
                try db.cachedStatement(sql: DeviceReport.sql).execute(
                    arguments: StatementArguments(report.arguments(at: WireTime.now(), device: deviceId)))
            }
            try AuditLog.append(
                AuditLog.Event(
                    actor: device.userName, role: device.role, device: device.deviceId.uuidString.lowercased(), action: "SYNC_DOWNLOAD",
                    detail: "records=\(documents.count) after=\(cursor.token) cursor=\(next.token)\(catchUp ? " catch-up" : "") removed=\(removed.map { $0.uuidString.lowercased() }.sorted().joined(separator: ","))"),
                in: db)
            return page
        }
    }

    static func kindsJSON(_ kinds: Set<RecordKind>) -> String {
        "[" + kinds.map { "\"\($0.rawValue)\"" }.sorted().joined(separator: ",") + "]"
    }
}

/// Reads a record's history and its rejected changes.
struct HistoryReader: Sendable {
    let database: ServerDatabase

    /// Nil when the record does not exist or is outside `scope`.
    func history(of record: UUID, scope: AccessScope? = nil) async throws -> HistoryPage? {
        try await database.pool.read { db -> HistoryPage? in
            let decoder = WireProtocol.makeDecoder()
            guard let row = try Row.fetchOne(db, sql: "SELECT kind, young_person FROM records WHERE id = ?", arguments: [record.uuidString]) else {
                return nil
            }
            if let scope, let kind = RecordKind(rawValue: row["kind"]), let yp = UUID(uuidString: row["young_person"]),
                !scope.allows(kind, yp)
            {
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
                db, sql: "SELECT * FROM rejections WHERE record_id = ? AND outside_scope = 0 ORDER BY id", arguments: [record.uuidString]
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
