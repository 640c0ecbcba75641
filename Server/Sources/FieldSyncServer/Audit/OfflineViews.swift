import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes

/// Views made on a device (issue 15 item 2), uploaded by `POST /v1/device/views`, stored in the
/// audit trail as the device's own `OFFLINE_VIEW` entries: its user, role and device, the server
/// time they arrived (`at`), and the device time they happened (`deviceAt=` in the detail).
///
/// Exactly once: the server keeps, per device, the highest view sequence it has stored
/// (`device_view_uploads`, migration v9-offline-views). An entry at or below it is a repeat (an
/// upload whose answer was lost, a duplicate delivery) and is skipped; the rest are appended in
/// sequence order in the same transaction that moves the mark, so a crash stores all or none.
enum OfflineViews {
    static let action = AuditAction.offlineView

    /// Checks an upload before anything is stored: its size, and each entry's sequence (in
    /// order, in range), time, records and destination. Nothing of a refused upload is stored.
    static func check(_ upload: DeviceViewUpload) throws(APIError) {
        guard (1...DeviceViews.maxEntriesPerUpload).contains(upload.views.count) else {
            throw APIError(
                .badRequest, .invalidValue,
                "An upload holds 1 to \(DeviceViews.maxEntriesPerUpload) views; this one holds \(upload.views.count). Send the rest in another upload."
            )
        }
        let records = upload.views.reduce(0) { $0 + $1.records.count }
        guard records <= DeviceViews.maxRecordsPerUpload else {
            throw APIError(
                .badRequest, .invalidValue,
                "An upload names at most \(DeviceViews.maxRecordsPerUpload) records in all; this one names \(records). Send fewer views per upload."
            )
        }
        var previous: Int64 = 0
        for (n, entry) in upload.views.enumerated() {
            let at = "views[\(n)]"
            guard (1...WireProtocol.maxDeviceSequence).contains(entry.sequence) else {
                throw APIError(
                    .badRequest, .sequenceOutOfRange,
                    "\(at).sequence must be from 1 to \(WireProtocol.maxDeviceSequence), not \(entry.sequence).")
            }
            guard entry.sequence > previous else {
                throw APIError(
                    .badRequest, .invalidValue,
                    "\(at).sequence is \(entry.sequence), not above the view before it (\(previous)): send views oldest first, each sequence once."
                )
            }
            previous = entry.sequence
            guard WireTime.parse(entry.at) != nil else {
                throw APIError(
                    .badRequest, .invalidValue, "\(at).at must be an instant such as 2026-11-22T09:30:00.000Z, not '\(entry.at)'.")
            }
            guard (1...DeviceViews.maxRecordsPerView).contains(entry.records.count) else {
                throw APIError(
                    .badRequest, .invalidValue,
                    "\(at).records names 1 to \(DeviceViews.maxRecordsPerView) records, not \(entry.records.count): split a larger view into entries."
                )
            }
            if let destination = entry.destination, !DeviceViews.destinations.contains(destination) {
                throw APIError(
                    .badRequest, .invalidValue,
                    "\(at).destination is \(DeviceViews.destinations.sorted().joined(separator: " or ")), not '\(destination)'.")
            }
        }
    }

    /// Stores the entries not stored before, in the writer's transaction; the highest sequence
    /// now held for the device.
    static func store(
        _ entries: [DeviceViewEntry], by device: AuthenticatedDevice, at time: String, auditHead: AuditLog.Head, in db: Database
    ) throws -> Int64 {
        let deviceKey = device.deviceId.uuidString
        var through =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT stored_through FROM device_view_uploads WHERE device_id = ?"), arguments: [deviceKey]) ?? 0
        let fresh = entries.filter { $0.sequence > through }
        if let first = fresh.first, first.sequence - through > WireProtocol.maxSequenceGap {
            throw APIError(
                .badRequest, .sequenceOutOfRange,
                "The view sequence jumps from \(through) to \(first.sequence); a device numbers its views 1, 2, 3 …, so this is not taken.")
        }
        for entry in fresh {
            let missing: ClosedRange<Int64>? = entry.sequence > through + 1 ? (through + 1)...(entry.sequence - 1) : nil
            for event in try events(for: entry, by: device, missing: missing, in: db) {
                try AuditLog.append(event, at: time, head: auditHead, in: db)
            }
            through = entry.sequence
        }
        if !fresh.isEmpty {
            try db.cachedStatement(
                sql: """
                    INSERT INTO device_view_uploads(device_id, stored_through, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(device_id) DO UPDATE SET stored_through = excluded.stored_through, updated_at = excluded.updated_at
                    """
            ).execute(arguments: [deviceKey, through, time])
        }
        return through
    }

    /// One audit entry per young person the view showed (so `admin audit --young-person` finds
    /// it), in the order the records were shown. The young person is the server's for a record
    /// it holds, else the device's.
    static func events(for entry: DeviceViewEntry, by device: AuthenticatedDevice, missing: ClosedRange<Int64>?, in db: Database) throws
        -> [AuditLog.Event]
    {
        var groups: [(youngPerson: String?, records: [String])] = []
        for record in entry.records {
            let known = try String.fetchOne(
                db.cachedStatement(sql: "SELECT young_person FROM records WHERE id = ?"), arguments: [UUIDText.uppercase(record.id)])
            let youngPerson = (known ?? record.youngPerson?.uuidString)?.lowercased()
            let id = record.id.uuidString.lowercased()
            if let index = groups.firstIndex(where: { $0.youngPerson == youngPerson }) {
                groups[index].records.append(id)
            } else {
                groups.append((youngPerson, [id]))
            }
        }
        return groups.map { group in
            AuditLog.Event(
                actor: device.userName, role: device.roleName, device: device.deviceId.uuidString.lowercased(), action: action,
                record: group.records.count == 1 ? group.records[0] : nil, youngPerson: group.youngPerson,
                detail: OfflineViewDetail(
                    view: entry.kind, sequence: entry.sequence, deviceAt: entry.at, records: group.records, destination: entry.destination,
                    missing: missing
                ).text)
        }
    }
}

/// The detail of an `OFFLINE_VIEW` entry, written by ``OfflineViews`` and read back by
/// `admin audit` and the lost-device manifest:
/// `view=<kind> seq=<n> deviceAt=<instant> records=<ids, comma-separated>[ to=file|stdout][ missing=<a>-<b>]`.
/// `missing` names view sequences the device never uploaded before this one (a log lost on the device).
struct OfflineViewDetail: Sendable, Equatable {
    var view: ViewKind
    var sequence: Int64
    var deviceAt: String
    var records: [String]
    var destination: String?
    var missing: ClosedRange<Int64>?

    var text: String {
        var text = "view=\(view.rawValue) seq=\(sequence) deviceAt=\(deviceAt) records=\(records.joined(separator: ","))"
        if let destination { text += " to=\(destination)" }
        if let missing { text += " missing=\(missing.lowerBound)-\(missing.upperBound)" }
        return text
    }
}

extension OfflineViewDetail {
    /// Nil for a detail not in this format.
    init?(text: String) {
        var values: [Substring: Substring] = [:]
        for word in text.split(separator: " ") {
            guard let equals = word.firstIndex(of: "=") else { return nil }
            values[word[..<equals]] = word[word.index(after: equals)...]
        }
        guard let view = values["view"].flatMap({ ViewKind(rawValue: String($0)) }), let sequence = values["seq"].flatMap({ Int64($0) }),
            let deviceAt = values["deviceAt"].map(String.init), let records = values["records"]
        else { return nil }
        var missing: ClosedRange<Int64>?
        if let range = values["missing"] {
            let ends = range.split(separator: "-").compactMap { Int64($0) }
            guard ends.count == 2, ends[0] <= ends[1] else { return nil }
            missing = ends[0]...ends[1]
        }
        self.init(
            view: view, sequence: sequence, deviceAt: deviceAt, records: records.split(separator: ",").map(String.init),
            destination: values["to"].map(String.init), missing: missing)
    }
}

extension OfflineViews {
    /// The actions that record a person looking at case content (`admin audit --views`): views
    /// on devices, and reads on the server. Not pulls: what a device was sent is the manifest's.
    static let lookedAt: [AuditAction] = [action, .historyRead, .complianceReport, .deviceList, .exportStarted, .export, .exportCutOff]
    static let lookedAtJSON = "[" + lookedAt.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]"

    /// An `OFFLINE_VIEW` entry with its device time and offline mark filled in from the detail.
    static func annotated(_ entry: AuditEntry) -> AuditEntry {
        guard entry.action == action.rawValue, let detail = OfflineViewDetail(text: entry.detail) else { return entry }
        var entry = entry
        entry.offline = true
        entry.deviceAt = detail.deviceAt
        return entry
    }
}

extension DeviceManifest {
    /// One view made on the device and uploaded: what its user was shown, about which young person.
    public struct UploadedView: Codable, Sendable, Hashable {
        /// When it happened, by the device's clock, and when the server received it.
        public let deviceAt: String
        public let receivedAt: String
        public let view: String
        public let sequence: Int64
        public let youngPerson: String?
        public let records: [String]
        /// For an export: `file` or `stdout`.
        public let destination: String?

        /// Every view the device uploaded, in the order it made them.
        static func all(of deviceId: String, in db: Database) throws -> [UploadedView] {
            try Row.fetchAll(
                db, sql: "SELECT at, young_person, detail FROM audit_log WHERE device_id = ? AND action = ? ORDER BY id",
                arguments: [deviceId.lowercased(), OfflineViews.action.rawValue]
            ).compactMap { row -> UploadedView? in
                guard let detail = OfflineViewDetail(text: row["detail"]) else { return nil }
                return UploadedView(
                    deviceAt: detail.deviceAt, receivedAt: row["at"], view: detail.view.rawValue, sequence: detail.sequence,
                    youngPerson: row["young_person"], records: detail.records, destination: detail.destination)
            }
        }
    }
}
