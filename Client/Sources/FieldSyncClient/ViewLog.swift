import FieldSyncProtocol
import Foundation
import GRDB

extension SettingKey {
    /// The sequence the next logged view takes (1, 2, 3 …; never reused while the store lives).
    static let nextViewSequence = "next_view_sequence"
}

/// The device's log of what was shown on it (issue 15 item 2; domain model 5, item 6).
///
/// Every public read a device app shows a person goes through ``FieldSyncDevice/logged(_:_:destination:)``:
/// `record(_:)` and `findRecord(_:)` (show), `records(kind:includeDeleted:)` (list),
/// `history(of:)` and `exportReconciled(...)`. Each view is written, sealed with the store key
/// for its row, to `view_log` with the device's clock and the next view sequence, before the
/// result is handed back: a view that cannot be logged is not shown. Reads made to build an edit
/// (``FieldSyncDevice/resolveRecord(_:)``) and the library's own reads are not views.
///
/// The next sync uploads the log after the push and before the pull (``FieldSyncDevice/uploadViews(_:_:)``).
/// Opening an attachment, once the device holds attachments, logs ``ViewKind/attachmentOpen``
/// with the record it belongs to through the same call.
extension FieldSyncDevice {
    /// Logs a view of `shown` (nothing when it shows no record) and hands it back.
    func logged(_ kind: ViewKind, _ shown: [LocalRecord], destination: String? = nil) throws(ClientError) -> [LocalRecord] {
        try logView(kind, shown.map { ViewedRecord(id: $0.snapshot.id, youngPerson: $0.snapshot.youngPerson) }, destination: destination)
        return shown
    }

    func logged(_ kind: ViewKind, _ shown: LocalRecord?) throws(ClientError) -> LocalRecord? {
        try logged(kind, shown.map { [$0] } ?? []).first
    }

    func logged(_ kind: ViewKind, _ shown: LocalRecord) throws(ClientError) -> LocalRecord {
        _ = try logged(kind, [shown])
        return shown
    }

    /// Logs a history shown, under the young person of the device's copy of the record.
    func logged(_ kind: ViewKind, _ page: HistoryPage) throws(ClientError) -> HistoryPage {
        let youngPerson = try unloggedRecord(page.record)?.snapshot.youngPerson
        try logView(kind, [ViewedRecord(id: page.record, youngPerson: youngPerson)])
        return page
    }

    /// Writes one view to the log, split into entries of at most ``DeviceViews/maxRecordsPerView``
    /// records each, with consecutive sequences, in one transaction.
    func logView(_ kind: ViewKind, _ viewed: [ViewedRecord], destination: String? = nil) throws(ClientError) {
        guard !viewed.isEmpty else { return }
        let at = WireTime.now()
        try store.write { db in
            var sequence = Int64(try store.setting(SettingKey.nextViewSequence, in: db) ?? "1") ?? 1
            for start in stride(from: 0, to: viewed.count, by: DeviceViews.maxRecordsPerView) {
                let share = Array(viewed[start..<min(start + DeviceViews.maxRecordsPerView, viewed.count)])
                let entry = DeviceViewEntry(sequence: sequence, at: at, kind: kind, records: share, destination: destination)
                try db.execute(
                    sql: "INSERT INTO view_log(sequence, body) VALUES (?, ?)",
                    arguments: [sequence, try seal(entry, for: .viewLog(sequence))])
                sequence += 1
            }
            try store.setSetting(SettingKey.nextViewSequence, String(sequence), in: db)
        }
    }

    /// Views logged and not yet taken by the server.
    public func unsentViews() throws(ClientError) -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM view_log") ?? 0 }
    }

    /// Uploads the view log oldest first, in batches bounded in entries and bytes, and deletes
    /// what the server says it holds. Runs after the push (the writes the views may follow are on
    /// the server first) and before the pull: the log is small and the pull is the long part of a
    /// sync, the one a bad link most often cuts, so the views reach the audit trail even then.
    ///
    /// Exactly once: each entry carries its sequence, and the server stores each sequence once per
    /// device and answers the highest it holds; a lost answer only means the next sync sends the
    /// entries again and they are skipped.
    func uploadViews(_ connection: ServerConnection, _ report: inout SyncReport) async throws(ClientError) {
        let total = try unsentViews()
        // Bounded: each round takes at least one entry off the log, or stops.
        for _ in 0..<max(1, total) {
            let batch = try nextViewBatch()
            guard let last = batch.entries.last else { return }
            let answer = try await connection.send(.post, "v1/device/views", body: batch.body, headers: try healthHeaders())
            switch answer.status {
            case 200:
                let receipt: DeviceViewReceipt
                do { receipt = try decoder.decode(DeviceViewReceipt.self, from: answer.body) } catch {
                    throw ClientError("bad_answer", "The server's answer to the view upload could not be read: \(error)")
                }
                let deleted = try store.write { db in
                    try db.execute(sql: "DELETE FROM view_log WHERE sequence <= ?", arguments: [receipt.storedThrough])
                    return db.changesCount
                }
                report.viewsUploaded += deleted
                // The server holds less than was sent: never spin on the same batch.
                if receipt.storedThrough < last.sequence { return }
            case 401, 403:
                throw Self.refusal(answer)
            case 500...:
                report.reachable = false
                report.message = "The server answered \(answer.status) to the view upload; the views are kept and sent on the next sync."
                return
            default:
                // Not taken (a server without the route, or a refusal): kept for the next sync; the
                // sync itself goes on, so nothing else waits on the view log.
                let detail = ServerConnection.errorBody(answer.body)
                report.viewsMessage =
                    "The server did not take the view log (\(answer.status)\(detail.map { ", \($0.code): \($0.message)" } ?? "")); it is kept on this device."
                return
            }
        }
    }

    /// The oldest unsent entries, at most ``DeviceViews/maxEntriesPerUpload`` naming at most
    /// ``DeviceViews/maxRecordsPerUpload`` records, and about ``DeviceViews/targetUploadBytes`` of
    /// JSON (always at least one entry), and the body to send.
    func nextViewBatch() throws(ClientError) -> (entries: [DeviceViewEntry], body: Data) {
        let entries: [DeviceViewEntry] = try store.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT sequence, body FROM view_log ORDER BY sequence LIMIT ?", arguments: [DeviceViews.maxEntriesPerUpload])
            var entries: [DeviceViewEntry] = []
            var bytes = 0
            var records = 0
            for row in rows {
                let sequence: Int64 = row["sequence"]
                let plain = try store.cipher.open(row["body"] as Data, for: .viewLog(sequence))
                let entry = try decoder.decode(DeviceViewEntry.self, from: plain)
                let full =
                    bytes + plain.count > DeviceViews.targetUploadBytes || records + entry.records.count > DeviceViews.maxRecordsPerUpload
                if !entries.isEmpty && full { break }
                entries.append(entry)
                bytes += plain.count + 1
                records += entry.records.count
            }
            return entries
        }
        do { return (entries, try encoder.encode(DeviceViewUpload(views: entries))) } catch { throw .storage(error) }
    }
}
