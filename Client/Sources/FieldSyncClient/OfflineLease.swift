import FieldSyncProtocol
import Foundation
import GRDB

/// Where this device stands against its offline limits (domain model §5 item 2): how long since
/// a sync last reached the server, and what that allows.
public struct OfflineStanding: Codable, Sendable {
    public let policy: DevicePolicy
    /// When a sync last reached the server (or the device enrolled); nil before that.
    public let lastContact: String?
    /// When case content stops being shown, and when the records are erased, unless it syncs first.
    public let leaseEndsAt: String?
    public let eraseAt: String?
    /// Whole seconds of the lease left; 0 once it has run out.
    public let leaseSecondsLeft: Int?
    /// True when the lease has run out: case content is not shown or exported until a sync.
    public let locked: Bool
    /// When the offline erase last ran on this store.
    public let erasedAt: String?
    /// Said in the lease's last days (the last 3, or its last quarter when it is shorter than 12).
    public let warning: String?
}

extension OfflineStanding {
    /// A length of time as a person says it: "40 seconds", "12 minutes", "5 hours", "13 days".
    public static func span(_ seconds: Int) -> String {
        switch seconds {
        case ..<120: "\(seconds) seconds"
        case ..<7200: "\(seconds / 60) minutes"
        case ..<(2 * 86_400): "\(seconds / 3600) hours"
        default: "\(seconds / 86_400) days"
        }
    }
}

extension FieldSyncDevice {
    /// The device's standing now.
    public func offlineStanding() throws(ClientError) -> OfflineStanding {
        try store.read { db in try standing(in: db, now: Date()) }
    }

    /// The server's policy for this device as last received; the standard one before the first sync.
    func policy(in db: Database) throws -> DevicePolicy {
        guard let text = try store.sealedSetting(SettingKey.policy, in: db) else { return .standard }
        return try decoder.decode(DevicePolicy.self, from: Data(text.utf8))
    }

    /// When the device last reached the server (a store made before there was a contact time: its last sync).
    func lastContact(in db: Database) throws -> String? {
        try store.sealedSetting(SettingKey.lastContactAt, in: db) ?? store.sealedSetting(SettingKey.lastSyncAt, in: db)
    }

    func standing(in db: Database, now: Date) throws -> OfflineStanding {
        let policy = try policy(in: db)
        let erasedAt = try store.sealedSetting(SettingKey.erasedAt, in: db)
        guard let lastText = try lastContact(in: db), let last = WireTime.parse(lastText) else {
            return OfflineStanding(
                policy: policy, lastContact: nil, leaseEndsAt: nil, eraseAt: nil, leaseSecondsLeft: nil, locked: false, erasedAt: erasedAt,
                warning: nil)
        }
        let leaseEnd = last.addingTimeInterval(TimeInterval(policy.offlineLeaseSeconds))
        let eraseAt = last.addingTimeInterval(TimeInterval(policy.offlineEraseSeconds))
        let left = max(0, Int(leaseEnd.timeIntervalSince(now).rounded(.down)))
        let warnWithin = min(3 * DevicePolicy.secondsPerDay, policy.offlineLeaseSeconds / 4)
        var warning: String?
        if left == 0 {
            warning =
                "The offline lease ran out at \(WireTime.format(leaseEnd)): case records are not shown until this device syncs. Unless it syncs by \(WireTime.format(eraseAt)), its records will be erased (unsent edits are kept)."
        } else if left <= warnWithin {
            warning =
                "The offline lease ends at \(WireTime.format(leaseEnd)) (\(OfflineStanding.span(left)) from now): sync before then, or case records will not be shown."
        }
        return OfflineStanding(
            policy: policy, lastContact: lastText, leaseEndsAt: WireTime.format(leaseEnd), eraseAt: WireTime.format(eraseAt),
            leaseSecondsLeft: left, locked: left == 0, erasedAt: erasedAt, warning: warning)
    }

    /// Refuses to show or export case content once the offline lease has run out (edits and
    /// syncs go on: nothing unsent is stranded).
    func requireCaseAccess() throws(ClientError) {
        let standing = try offlineStanding()
        guard standing.locked, let last = standing.lastContact else { return }
        let days = Double(standing.policy.offlineLeaseSeconds) / Double(DevicePolicy.secondsPerDay)
        let since = WireTime.parse(last).map { OfflineStanding.span(Int(Date().timeIntervalSince($0))) } ?? "a while"
        throw ClientError(
            "offline_lease_expired",
            "This device last synced with the server at \(last) (\(since) ago), longer than its offline lease of \(Self.days(days)), so it shows and exports no case records until it syncs. Sync now: fieldsync sync. Edits you make are kept and sent."
        )
    }

    /// Past the erase limit: every record, server copy and verdict is deleted, the content key
    /// replaced and the file compacted; the outbox stays, to be sent by the next sync, which
    /// then pulls the device's whole scope again. Runs whenever the store is opened.
    func enforceOfflineErase(now: Date = Date()) throws(ClientError) {
        let due: Bool = try store.read { db in
            guard try store.setting(SettingKey.device, in: db) != nil,
                let last = try lastContact(in: db).flatMap(WireTime.parse)
            else { return false }
            if let erased = try store.sealedSetting(SettingKey.erasedAt, in: db).flatMap(WireTime.parse), erased > last { return false }
            return now.timeIntervalSince(last) > TimeInterval(try policy(in: db).offlineEraseSeconds)
        }
        guard due else { return }
        try store.write { db in
            for table in [
                "server_records", "local_records", "verdicts", "departed_young_people", "retained_on_server", "fetched_on_demand",
            ] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            // The next pull starts the feed over: it brings back everything in scope.
            try store.setSetting(SettingKey.cursor, FeedCursor.start.token, in: db)
            try store.replaceContentKey(in: db)
            try store.setSealedSetting(SettingKey.erasedAt, WireTime.format(now), in: db)
        }
        try store.compact()
    }

    /// Asks the server for this device's policy and keeps it; an older server without the
    /// route (404) leaves the one held.
    func refreshPolicy(_ connection: ServerConnection) async throws(ClientError) {
        let answer = try await connection.send(.get, "v1/device/policy")
        guard answer.status == 200, let policy = try? decoder.decode(DevicePolicy.self, from: answer.body) else { return }
        let json: Data
        do { json = try encoder.encode(policy) } catch { throw .storage(error) }
        try store.write { db in try store.setSealedSetting(SettingKey.policy, String(decoding: json, as: UTF8.self), in: db) }
    }

    static func days(_ days: Double) -> String {
        days >= 1 && days == days.rounded() ? "\(Int(days)) days" : OfflineStanding.span(Int(days * 86_400))
    }
}
