import FieldSyncProtocol
import Foundation
import GRDB

/// A verdict the server gave on an operation sent from this device.
public struct StoredVerdict: Codable, Sendable {
    public let changeSet: UUID
    public let index: Int
    public let record: UUID
    public let outcome: Outcome
    public let code: String?
    public let message: String?
    public let version: Int64?
    public let receivedAt: String
    public let operation: ChangeOperation
}

/// Where this device stands: who it is, what it has not sent yet, when it last synced.
public struct DeviceStatus: Codable, Sendable {
    public let server: String?
    public let device: String?
    public let user: String?
    public let role: String?
    public let team: String?
    public let unsent: Int
    public let oldestUnsent: String?
    public let lastSync: String?
    public let cursor: String?
    public let records: Int
    public let openConflicts: Int
    public let refusals: Int
    /// The offline lease and erase limit, and where this device stands against them.
    public let offline: OfflineStanding
    /// Records retention let go, fetched again on demand.
    public let onServerOnly: Int
}

extension FieldSyncDevice {
    /// Counts only, no case content: `status` works past the offline lease.
    public func status() throws(ClientError) -> DeviceStatus {
        try store.read { db in
            DeviceStatus(
                server: try store.setting(SettingKey.server, in: db), device: try store.setting(SettingKey.device, in: db),
                user: try store.setting(SettingKey.user, in: db), role: try store.setting(SettingKey.role, in: db),
                team: try store.setting(SettingKey.team, in: db),
                unsent: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0,
                oldestUnsent: try String.fetchOne(db, sql: "SELECT MIN(made_at) FROM outbox"),
                lastSync: try store.sealedSetting(SettingKey.lastSyncAt, in: db), cursor: try store.setting(SettingKey.cursor, in: db),
                records: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_records WHERE deleted = 0") ?? 0,
                openConflicts: try localRecords(in: db).reduce(0) { $0 + $1.conflicts.count },
                refusals: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM verdicts WHERE outcome = 'rejected'") ?? 0,
                offline: try standing(in: db, now: Date()),
                onServerOnly: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM retained_on_server") ?? 0)
        }
    }

    /// Verdicts received, newest first; with `rejectedOnly`, the refusals only.
    public func verdicts(rejectedOnly: Bool = false, record: UUID? = nil) throws(ClientError) -> [StoredVerdict] {
        try requireCaseAccess()
        return try store.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM verdicts WHERE (? = 0 OR outcome = 'rejected') AND (? IS NULL OR record = ?)
                    ORDER BY received_at DESC, change_set, op_index
                    """,
                arguments: [rejectedOnly, record?.uuidString, record?.uuidString]
            ).map { row in
                StoredVerdict(
                    changeSet: UUID(uuidString: row["change_set"]) ?? UUID(), index: row["op_index"],
                    record: UUID(uuidString: row["record"]) ?? UUID(), outcome: Outcome(rawValue: row["outcome"]) ?? .rejected,
                    code: row["code"],
                    message: try (row["message"] as Data?).map {
                        String(
                            decoding: try store.cipher.open($0, for: .verdictMessage(changeSet: row["change_set"], index: row["op_index"])),
                            as: UTF8.self)
                    }, version: row["version"], receivedAt: row["received_at"],
                    operation: try unseal(
                        ChangeOperation.self, row["operation"] as Data,
                        from: .verdict(changeSet: row["change_set"], index: row["op_index"])))
            }
        }
    }

    /// Open conflicts on the records this device holds.
    public func conflicts(record: UUID? = nil) throws(ClientError) -> [Conflict] {
        try requireCaseAccess()
        return try store.read { db in
            try localRecords(in: db).filter { record == nil || $0.id == record }.flatMap(\.conflicts).sorted { $0.openedAt < $1.openedAt }
        }
    }
}
