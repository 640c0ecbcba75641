import FieldSyncProtocol
import Foundation
import GRDB

/// What a device could hold, for a breach assessment after it is lost (domain model 5; the ICO
/// expects one within 72 hours that says exactly what was on the device).
///
/// Worked out from the server's own records, never from the device: the cursor of the device's
/// last pull (its last `SYNC_DOWNLOAD` audit entry) says how far into the feed it had read, and
/// the scope snapshot that cursor names says which young people and kinds it was sent. Every
/// record of that scope with a version at or before the cursor's position is listed, at the
/// version the device would hold (the latest at or before it), unless that version is a discard.
/// Records the device itself sent changes to are listed too. The list errs on the side of
/// "could hold": a catch-up part-way counts both scopes, and a record the device sent and later
/// lost with its young person stays listed.
public struct DeviceManifest: Codable, Sendable {
    public struct HeldRecord: Codable, Sendable, Hashable {
        public let id: String
        public let kind: String
        public let youngPerson: String
        /// The version the device would hold.
        public let version: Int64
        /// `pulled` (sent to the device in its feed) or `sent` (the device wrote to it).
        public let source: String
    }

    public let device: String
    public let user: String
    public let role: String
    public let team: String
    public let name: String?
    public let enrolledAt: String?
    public let lastSeenAt: String?
    public let revokedAt: String?
    /// When the device was told to erase its store (its first contact after revocation); nil
    /// when it has not been in contact since, so the data may still be on it.
    public let toldToWipeAt: String?
    /// When the device last pulled case content, and the cursor it was given then.
    public let lastPullAt: String?
    public let lastCursor: String?
    /// Pulls since revocation cannot happen (a revoked device is refused), so this is also what
    /// it could hold at revocation; said here so a reader does not have to know.
    public let pullsAfterRevocation: Int
    /// Young people whose records the device could hold, sorted.
    public let youngPeople: [String]
    public let records: [HeldRecord]
    /// What the device last reported of its own outbox: change sets not yet sent, and the age of
    /// the oldest (their content is not on the server).
    public let unsentReported: Int?
    public let oldestUnsentSecondsReported: Int?
    /// The views its user made on the device that it uploaded (``OfflineViews``), oldest first.
    public let offlineViews: [UploadedView]
    /// What the manifest cannot say (older audit entries, offline views not yet uploaded).
    public let caveats: [String]

    static func build(device id: String, in db: Database) throws -> DeviceManifest? {
        guard
            let device = try Row.fetchOne(
                db, sql: "SELECT d.*, u.role, u.team FROM devices d JOIN users u ON u.name = d.user_name WHERE d.id = ? COLLATE NOCASE",
                arguments: [id])
        else { return nil }
        let deviceId: String = device["id"]
        let revokedAt: String? = device["revoked_at"]
        var caveats = [
            "Views made on the device after its last sync are not known to the server; the records list is what the device was sent, the views list what its user was shown up to its last sync."
        ]

        let lastPull = try Row.fetchOne(
            db,
            sql: "SELECT at, detail FROM audit_log WHERE device_id = ? AND action = 'SYNC_DOWNLOAD' ORDER BY id DESC LIMIT 1",
            arguments: [deviceId.lowercased()])
        var scope = AccessScope.none
        var position: Int64 = 0
        var cursorToken: String?
        if let lastPull {
            let text: String = lastPull["detail"]
            if let detail = PullAuditDetail(text: text) {
                cursorToken = detail.cursor.token
                position = detail.cursor.sequence
                if let given = try FeedReader.snapshot(deviceId, detail.cursor.generation, in: db) { scope = given }
                if let catchUp = detail.cursor.catchUp, let before = try FeedReader.snapshot(deviceId, catchUp.from, in: db) {
                    scope = AccessScope(
                        allYoungPeople: scope.allYoungPeople || before.allYoungPeople,
                        youngPeople: scope.youngPeople.union(before.youngPeople),
                        kinds: scope.kinds.union(before.kinds))
                }
            } else {
                caveats.append("The device's last pull was audited in an older format ('\(text)'); only the records it sent are listed.")
            }
        }

        var held: [String: HeldRecord] = [:]
        if position > 0 {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.id, r.kind, r.young_person, h.version, h.operation, h.outcome
                    FROM records r JOIN record_history h ON h.record_id = r.id
                    WHERE h.version = (SELECT MAX(version) FROM record_history WHERE record_id = r.id AND version <= ?)
                      AND r.kind IN (SELECT value FROM json_each(?))
                      AND (? OR r.young_person IN (SELECT value FROM json_each(?)))
                    """,
                arguments: [position, FeedReader.kindsJSON(scope.kinds), scope.allYoungPeople, scope.youngPeopleJSON])
            for row in rows {
                let operation: String = row["operation"]
                let outcome: String = row["outcome"]
                let discarded =
                    operation == OperationType.delete.rawValue && [Outcome.applied.rawValue, Outcome.merged.rawValue].contains(outcome)
                if discarded { continue }
                let record = HeldRecord(
                    id: (row["id"] as String).lowercased(), kind: row["kind"], youngPerson: (row["young_person"] as String).lowercased(),
                    version: row["version"], source: "pulled")
                held[record.id] = record
            }
        }
        let sent = try Row.fetchAll(
            db,
            sql: """
                SELECT r.id, r.kind, r.young_person, MAX(h.version) AS version FROM record_history h JOIN records r ON r.id = h.record_id
                WHERE h.device_id = ? GROUP BY r.id
                """,
            arguments: [deviceId])
        for row in sent {
            let id = (row["id"] as String).lowercased()
            guard held[id] == nil else { continue }
            held[id] = HeldRecord(
                id: id, kind: row["kind"], youngPerson: (row["young_person"] as String).lowercased(), version: row["version"],
                source: "sent")
        }
        let pullsAfterRevocation =
            try revokedAt.map {
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM audit_log WHERE device_id = ? AND action = 'SYNC_DOWNLOAD' AND at > ?",
                    arguments: [deviceId.lowercased(), $0]) ?? 0
            } ?? 0
        let records = held.values.sorted { ($0.youngPerson, $0.id) < ($1.youngPerson, $1.id) }
        return DeviceManifest(
            device: deviceId.lowercased(), user: device["user_name"], role: device["role"], team: device["team"], name: device["name"],
            enrolledAt: device["enrolled_at"], lastSeenAt: device["last_seen_at"], revokedAt: revokedAt, toldToWipeAt: device["wiped_at"],
            lastPullAt: lastPull?["at"], lastCursor: cursorToken, pullsAfterRevocation: pullsAfterRevocation,
            youngPeople: Set(records.map(\.youngPerson)).sorted(), records: records, unsentReported: device["unsent"],
            oldestUnsentSecondsReported: device["oldest_unsent_seconds"], offlineViews: try UploadedView.all(of: deviceId, in: db),
            caveats: caveats)
    }
}

extension AdminService {
    /// The lost-device manifest of one device (`fieldsync-server admin device manifest`).
    public func deviceManifest(id: String) throws(AdminError) -> DeviceManifest {
        let manifest = try read { db in try DeviceManifest.build(device: id, in: db) }
        guard let manifest else {
            throw AdminError("unknown_device", "There is no device \(id); list them with: fieldsync-server admin device list")
        }
        return manifest
    }
}
