import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore

/// The reconciled export for supervisors and reporting tools (issue: supervisors): every record
/// in the caller's scope that is settled (a visit AUTHORISED, a PEP FINALISED or SUPERSEDED) and
/// has no open conflict, changed after the export cursor; then what is not reconciled yet, and why.
///
/// Streamed as NDJSON, one JSON object a line, read from the store in chunks by version, so the
/// server's memory stays flat however many records there are:
/// - `{"type":"record","record":{…RecordSnapshot…}}`
/// - `{"type":"notReconciled","id":…,"kind":…,"youngPerson":…,"state":…,"version":…,"reason":…}`
/// - `{"type":"unsentOnDevice","device":…,"user":…,"unsent":…,"oldestUnsentSeconds":…,"lastSeenAt":…}`
/// - `{"type":"end","cursor":…,"records":…,"notReconciled":…}`: the cursor for the next export.
///
/// The audit trail gets an EXPORT_STARTED entry before the first line is written (committed before
/// the export begins) and an EXPORT entry when it ends, or EXPORT_CUT_OFF saying how far it got
/// when the connection broke part-way.
struct ReconciledExport: Sendable {
    let database: ServerDatabase
    let audit: ReadAudit
    static let chunk = 500

    struct Filter: Sendable {
        let since: FeedCursor
        let team: String?
        let kind: RecordKind?
    }

    static func isSettled(_ kind: RecordKind, _ state: String) -> Bool {
        switch kind {
        case .visit: state == "AUTHORISED"
        case .pep: state == "FINALISED" || state == "SUPERSEDED"
        }
    }

    static func reason(_ kind: RecordKind, _ state: String, openConflicts: Int) -> String {
        if openConflicts > 0 { return "open conflict (\(openConflicts))" }
        switch (kind, state) {
        case (.visit, "SUBMITTED"): return "awaiting authorisation"
        case (.visit, "RETURNED"), (.pep, "RETURNED_FOR_AMENDMENT"): return "returned to its author"
        case (.pep, "SUBMITTED"), (.pep, "IN_QA"): return "awaiting Virtual School QA"
        case (.visit, "CANCELLED"): return "cancelled"
        default: return "not yet submitted (\(state))"
        }
    }

    /// Works out which young people and kinds the export covers.
    func coverage(for device: AuthenticatedDevice, filter: Filter) async throws -> AccessScope {
        try await database.pool.read { db in
            let head = try Int64.fetchOne(db, sql: "SELECT value FROM feed_counter WHERE id = 1") ?? 0
            guard filter.since.sequence <= head, filter.since.catchUp == nil else {
                throw APIError(
                    .badRequest, .badCursor,
                    "The export cursor '\(filter.since.token)' is not one this server gave out; use the cursor from the last export's end line, or none for a full export."
                )
            }
            var scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
            if let kind = filter.kind { scope.kinds = scope.kinds.intersection([kind]) }
            if let team = filter.team {
                let teamYoungPeople = try AccessScope.keyWorkedBy(team: team, in: db)
                scope.youngPeople = scope.allYoungPeople ? teamYoungPeople : scope.youngPeople.intersection(teamYoungPeople)
                scope.allYoungPeople = false
            }
            return scope
        }
    }

    /// Device health lines go only to a team's own managers (as `GET /v1/devices` does): nobody
    /// learns another team's devices, users or last contact through the export.
    static func unsentTeam(for device: AuthenticatedDevice, filter: Filter) -> String? {
        guard device.role == .teamManager else { return nil }
        guard let team = filter.team else { return device.team }
        return team == device.team ? team : nil
    }

    func body(for device: AuthenticatedDevice, filter: Filter) async throws -> ResponseBody {
        let scope = try await coverage(for: device, filter: filter)
        let database = database
        let audit = audit
        let what = "since=\(filter.since.token) team=\(filter.team ?? "-") kind=\(filter.kind?.rawValue ?? "all")"
        // Durable before the first line leaves: an export is never unaudited, however it ends.
        try await audit.record(.exportStarted, by: device, detail: what, mode: .strict)
        return ResponseBody { writer in
            var exported = 0
            var pending = 0
            do {
                try await Self.stream(
                    database: database, scope: scope, device: device, filter: filter, exported: &exported, pending: &pending, to: &writer)
            } catch {
                try? await audit.record(
                    .exportCutOff, by: device, detail: "reconciled=\(exported) notReconciled=\(pending) \(what) error=\(error)")
                throw error
            }
            try await audit.record(.export, by: device, detail: "reconciled=\(exported) notReconciled=\(pending) \(what)")
            try await writer.finish(nil)
        }
    }

    private static func stream(
        database: ServerDatabase, scope: AccessScope, device: AuthenticatedDevice, filter: Filter, exported: inout Int, pending: inout Int,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        var after = filter.since.sequence
        var last = filter.since.sequence
        // Bounded: each round moves `after` forward or stops.
        for _ in 0..<10_000_000 {
            let from = after
            let rows = try await database.pool.read { db -> [(Int64, String, String, UUID, String, Data, Int)] in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT r.version, r.id, r.kind, r.young_person, r.state, r.document,
                          (SELECT COUNT(*) FROM conflicts c WHERE c.record_id = r.id AND c.status = 'open') AS open_conflicts
                        FROM records r
                        WHERE r.version > ? AND r.deleted = 0 AND r.kind IN (SELECT value FROM json_each(?))
                          AND (? OR r.young_person IN (SELECT value FROM json_each(?)))
                        ORDER BY r.version LIMIT ?
                        """,
                    arguments: [from, FeedReader.kindsJSON(scope.kinds), scope.allYoungPeople, scope.youngPeopleJSON, Self.chunk])
                return rows.map {
                    (
                        $0["version"], $0["id"], $0["kind"], UUID(uuidString: $0["young_person"]) ?? UUID(), $0["state"], $0["document"],
                        $0["open_conflicts"]
                    )
                }
            }
            guard !rows.isEmpty else { break }
            var buffer = ByteBuffer()
            for (version, id, kindText, youngPerson, state, document, openConflicts) in rows {
                after = version
                last = version
                guard let kind = RecordKind(rawValue: kindText) else { continue }
                if Self.isSettled(kind, state) && openConflicts == 0 {
                    buffer.writeString("{\"record\":")
                    buffer.writeBytes(document)
                    buffer.writeString(",\"type\":\"record\"}\n")
                    exported += 1
                } else {
                    let line: [String: JSONValue] = [
                        "type": "notReconciled", "id": .string(id.lowercased()), "kind": .string(kindText),
                        "youngPerson": .string(youngPerson.uuidString.lowercased()), "state": .string(state), "version": .integer(version),
                        "reason": .string(Self.reason(kind, state, openConflicts: openConflicts)),
                    ]
                    buffer.writeBytes(try WireProtocol.makeEncoder().encode(line))
                    buffer.writeString("\n")
                    pending += 1
                }
            }
            try await writer.write(buffer)
            if rows.count < Self.chunk { break }
        }
        if let team = unsentTeam(for: device, filter: filter) {
            for line in try await unsentDevices(database, scope: scope, team: team) {
                try await writer.write(ByteBuffer(bytes: try WireProtocol.makeEncoder().encode(line) + Data("\n".utf8)))
            }
        }
        let end: [String: JSONValue] = [
            "type": "end", "cursor": .string(FeedCursor(sequence: last).token), "records": .integer(Int64(exported)),
            "notReconciled": .integer(Int64(pending)),
        ]
        try await writer.write(ByteBuffer(bytes: try WireProtocol.makeEncoder().encode(end) + Data("\n".utf8)))
    }

    /// Devices of the team's users that last reported unsent changes: their records may not be
    /// reconciled yet even where the server shows them settled.
    static func unsentDevices(_ database: ServerDatabase, scope: AccessScope, team: String) async throws -> [[String: JSONValue]] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.id, d.user_name, d.unsent, d.oldest_unsent_seconds, d.last_seen_at FROM devices d
                    JOIN users u ON u.name = d.user_name
                    WHERE d.revoked_at IS NULL AND d.unsent > 0 AND u.team = ?
                    """, arguments: [team]
            ).map { row in
                [
                    "type": "unsentOnDevice", "device": .string((row["id"] as String).lowercased()), "user": .string(row["user_name"]),
                    "unsent": .integer(row["unsent"]),
                    "oldestUnsentSeconds": (row["oldest_unsent_seconds"] as Int64?).map(JSONValue.integer) ?? .null,
                    "lastSeenAt": (row["last_seen_at"] as String?).map(JSONValue.string) ?? .null,
                ]
            }
        }
    }
}
