import FieldSyncProtocol
import Foundation
import GRDB

/// What one sync did.
public struct SyncReport: Codable, Sendable {
    /// False when the server could not be reached; everything unsent is kept for the next sync.
    public var reachable = true
    public var message: String?
    public var sent = 0
    public var applied = 0
    public var merged = 0
    public var conflicted = 0
    public var refused = 0
    public var received = 0
    /// Records removed because their young person moved to another worker.
    public var removed = 0
    public var pages = 0
    public var unsent = 0
    /// The refusals of this sync, with their reasons.
    public var refusals: [StoredVerdict] = []
    /// True when the server said this device is revoked and the local store was erased.
    public var wiped = false
    /// Authorised or finalised records that retention let go (fetched again on demand).
    public var released = 0
    /// Views logged on this device that the server took in this sync, and those still held.
    public var viewsUploaded = 0
    public var viewsUnsent = 0
    /// Why the server did not take the view log, when it did not (the sync itself went on).
    public var viewsMessage: String?
}

/// Progress of a long sync, for a terminal.
public struct SyncProgress: Sendable {
    public let phase: String
    public let done: Int
    /// How many there are in all, when known (change sets to send); nil while receiving.
    public var total: Int? = nil
}

extension FieldSyncDevice {
    /// Runs `body` with a connection to this device's server (as enrolled), and closes the
    /// connection after, whatever `body` did. A sync is one session: one connection. `timeout`
    /// replaces the request timeout (a live-sync watch waits longer in silence).
    func withConnection<T>(timeout: Duration? = nil, _ body: (ServerConnection) async throws(ClientError) -> T) async throws(ClientError)
        -> T
    {
        let (server, token): (String?, String?) = try store.read { db in
            (try store.setting(SettingKey.server, in: db), try store.setting(SettingKey.token, in: db))
        }
        guard let server, let sealedToken = token.flatMap({ Data(base64Encoded: $0) }) else { throw ClientError.notEnrolled() }
        let plain = String(decoding: try store.cipher.open(sealedToken, for: .setting(SettingKey.token)), as: UTF8.self)
        return try await withConnection(server: server, token: plain, timeout: timeout, body)
    }

    func withConnection<T>(
        server: String, token: String?, timeout: Duration? = nil, _ body: (ServerConnection) async throws(ClientError) -> T
    ) async throws(ClientError) -> T {
        let connection = try ServerConnection(server: server, token: token, timeout: timeout ?? requestTimeout)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// What the device reports about itself on each request, for device health (contract 5.5):
    /// how many change sets it holds unsent and how old the oldest is.
    func healthHeaders() throws(ClientError) -> [String: String] {
        let (unsent, oldest): (Int, String?) = try store.read { db in
            (
                try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM outbox")) ?? 0,
                try String.fetchOne(db.cachedStatement(sql: "SELECT MIN(made_at) FROM outbox"))
            )
        }
        return Self.healthHeaders(unsent: unsent, oldest: oldest)
    }

    static func healthHeaders(unsent: Int, oldest: String?) -> [String: String] {
        var headers = [WireProtocol.unsentHeader: String(unsent)]
        if let oldest = oldest.flatMap(WireTime.parse) {
            headers[WireProtocol.oldestUnsentHeader] = String(max(0, Int(Date().timeIntervalSince(oldest))))
        }
        return headers
    }

    /// Push everything unsent, in order, then pull every change after the cursor.
    public func sync(pageSize: Int = WireProtocol.defaultPageSize, progress: (@Sendable (SyncProgress) -> Void)? = nil)
        async throws(ClientError)
        -> SyncReport
    {
        var report = SyncReport()
        do throws(ClientError) {
            report = try await withConnection { connection throws(ClientError) -> SyncReport in
                var report = SyncReport()
                do throws(ClientError) {
                    try await push(connection, &report, progress)
                    if report.reachable { try await uploadViews(connection, &report) }
                    if report.reachable { try await pull(connection, pageSize: pageSize, &report, progress) }
                    if report.reachable { try await refreshPolicy(connection) }
                } catch  where error.code == ClientError.serverUnreachableCode {
                    report.reachable = false
                    report.message = error.message
                }
                return report
            }
        } catch  where error.code == ErrorCode.deviceRevoked.rawValue {
            try wipe()
            report.wiped = true
            report.message = "\(error.message) This device's local store has been erased."
            return report
        }
        report.unsent = try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
        report.viewsUnsent = try unsentViews()
        if report.reachable {
            report.removed = try purgeDeparted()
            try store.write { db in
                let now = WireTime.now()
                try store.setSealedSetting(SettingKey.lastSyncAt, now, in: db)
                try store.setSealedSetting(SettingKey.lastContactAt, now, in: db)
            }
            report.released = try releaseRetained()
        }
        return report
    }

    func pull(_ connection: ServerConnection, pageSize: Int, _ report: inout SyncReport, _ progress: (@Sendable (SyncProgress) -> Void)?)
        async throws(ClientError)
    {
        // Set when the server refused the cursor and the device pulls its whole scope again: the
        // records received, so what is held but no longer sent can be removed at the end.
        var resynced: Set<UUID>?
        // Bounded: a feed has at most one page per `pageSize` records; a million pages is far beyond any store.
        for _ in 0..<1_000_000 {
            let cursor =
                resynced != nil && report.pages == 0
                ? FeedCursor.start.token
                : try store.read { db in try store.setting(SettingKey.cursor, in: db) } ?? FeedCursor.start.token
            let answer = try await connection.send(
                .get, "v1/changes",
                query: [URLQueryItem(name: "after", value: cursor), URLQueryItem(name: "limit", value: String(pageSize))],
                headers: try healthHeaders(), acceptsGzip: true)  // pages are about 3.6× smaller gzipped: devices sync on 4G
            guard answer.status == 200 else {
                if answer.status >= 500 {
                    report.reachable = false
                    report.message = "The server answered \(answer.status) to a pull; try again later."
                    return
                }
                if answer.status == 400, resynced == nil, ServerConnection.errorBody(answer.body)?.code == ErrorCode.badCursor.rawValue {
                    // The server does not know this cursor (a restored store, a server restored from
                    // an older backup): start the feed over, once. Nothing unsent is touched.
                    resynced = []
                    report.pages = 0
                    report.message = "The server did not recognise this device's feed position; everything in scope was pulled again."
                    continue
                }
                throw Self.refusal(answer)
            }
            let page = try apply(page: answer.body)
            resynced?.formUnion(page.ids)
            report.pages += 1
            report.received += page.count
            progress?(SyncProgress(phase: "received", done: report.received))
            if !page.more {
                if let resynced { report.removed += try dropUnsent(except: resynced) }
                return
            }
        }
    }

    /// After a whole-scope pull: removes the server copies (and local views) of records the
    /// server no longer sent, so out of scope now, except records with edits still waiting to be sent.
    func dropUnsent(except received: Set<UUID>) throws(ClientError) -> Int {
        try store.write { db in
            let held = try String.fetchAll(db, sql: "SELECT id FROM server_records WHERE id NOT IN (SELECT record FROM outbox_records)")
            var dropped = 0
            for id in held where UUID(uuidString: id).map({ !received.contains($0) }) ?? false {
                try db.execute(sql: "DELETE FROM local_records WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM server_records WHERE id = ?", arguments: [id])
                dropped += 1
            }
            return dropped
        }
    }

    /// Stores one pulled page and moves the cursor, in one transaction: a crash mid-pull resumes
    /// from the last whole page.
    func apply(page body: Data) throws(ClientError) -> (count: Int, more: Bool, ids: [UUID]) {
        let page: PullPage
        do { page = try PullPageFastDecoder.decode(body) ?? decoder.decode(PullPage.self, from: body) } catch {
            throw ClientError("bad_answer", "A page of the change feed could not be read: \(error)")
        }
        try store.write { db in
            for record in page.records {
                try db.cachedStatement(sql: "DELETE FROM departed_young_people WHERE young_person = ?").execute(
                    arguments: [store.cipher.index(youngPerson: record.youngPerson)])
                try hold(serverCopy: record, in: db)
            }
            for youngPerson in page.removed ?? [] {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO departed_young_people(young_person) VALUES (?)",
                    arguments: [store.cipher.index(youngPerson: youngPerson)])
            }
            try store.setSetting(SettingKey.cursor, page.cursor, in: db)
        }
        return (page.records.count, page.more, page.records.map(\.id))
    }

    /// Keeps the server's copy of a record (pulled, or fetched on demand) and rebuilds its local
    /// view on it; a record retention had let go is held again.
    func hold(serverCopy record: RecordSnapshot, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM retained_on_server WHERE id = ?").execute(arguments: [record.id.uuidString])
        try db.cachedStatement(
            sql: """
                INSERT INTO server_records(id, version, document) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET version = excluded.version, document = excluded.document
                """
        ).execute(arguments: [record.id.uuidString, record.version, try seal(record, for: .serverRecord(record.id.uuidString))])
        try rebuildLocal(record.id, server: record, in: db)
    }

    /// Removes the records of young people who left this device's scope (contract 5.3), except
    /// records with edits still waiting to be sent: those go first, and are removed after.
    /// The verdicts on this device's own edits are kept, so its user sees what became of them.
    func purgeDeparted() throws(ClientError) -> Int {
        try store.write { db in
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM local_records WHERE young_person IN (SELECT young_person FROM departed_young_people)
                      AND id NOT IN (SELECT record FROM outbox_records)
                    """)
            for id in ids {
                try db.execute(sql: "DELETE FROM local_records WHERE id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM server_records WHERE id = ?", arguments: [id])
                // Verdicts stay: the old worker still sees what became of their last edits.
            }
            try db.execute(sql: "DELETE FROM retained_on_server WHERE young_person IN (SELECT young_person FROM departed_young_people)")
            return ids.count
        }
    }

    /// Erases the local store (a revoked device, or `retire`): every table emptied and vacuumed,
    /// and the store key destroyed, so nothing left on disk can be read.
    public func wipe() throws(ClientError) {
        defer { store.keyFile.destroy() }
        try store.write { db in
            for table in [
                "settings", "server_records", "local_records", "outbox", "outbox_records", "verdicts", "departed_young_people",
                "retained_on_server", "fetched_on_demand", "view_log",
            ] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
        }
        try store.compact()
    }

    /// Hands a device back in good order: sends everything, asks the server to retire the device,
    /// then erases the store. Refuses while anything could not be sent.
    public func retire() async throws(ClientError) -> SyncReport {
        let report = try await sync()
        if report.wiped { return report }
        guard report.reachable, report.unsent == 0 else {
            throw ClientError(
                "unsent_changes",
                "\(report.unsent) change(s) could not be sent (\(report.message ?? "the server did not take them")); retire the device once it has synced everything."
            )
        }
        // Erasing the store would erase the views logged on it before the audit trail has them.
        guard report.viewsUnsent == 0 else {
            throw ClientError(
                "unsent_views",
                "\(report.viewsUnsent) view(s) logged on this device could not be sent to the audit trail (\(report.viewsMessage ?? "the server did not take them")); retire the device once they are, or ask an admin to revoke it."
            )
        }
        let answer = try await withConnection { connection throws(ClientError) in try await connection.send(.post, "v1/device/retire") }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        try wipe()
        return report
    }

    /// The compliance report for the young people in this user's scope, from the server.
    public func complianceReport(team: String?, asOf: String?) async throws(ClientError) -> [ComplianceRow] {
        try requireCaseAccess()
        var query: [URLQueryItem] = []
        if let team { query.append(URLQueryItem(name: "team", value: team)) }
        if let asOf { query.append(URLQueryItem(name: "asOf", value: asOf)) }
        let answer = try await withConnection { connection throws(ClientError) in
            try await connection.send(.get, "v1/reports/compliance", query: query)
        }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        do { return try decoder.decode([ComplianceRow].self, from: answer.body) } catch {
            throw ClientError("bad_answer", "The compliance report could not be read: \(error)")
        }
    }

    /// A record's versions and refused changes, from the server, to show them; logged as a view
    /// (``ViewLog``) once the server has answered.
    public func history(of record: UUID) async throws(ClientError) -> HistoryPage {
        try requireCaseAccess()
        return try logged(.history, try await unloggedHistory(of: record))
    }

    func unloggedHistory(of record: UUID) async throws(ClientError) -> HistoryPage {
        let answer = try await withConnection { connection throws(ClientError) in
            try await connection.send(.get, "v1/records/\(record.uuidString)/history")
        }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        do { return try decoder.decode(HistoryPage.self, from: answer.body) } catch {
            throw ClientError("bad_answer", "The record history could not be read: \(error)")
        }
    }
}
