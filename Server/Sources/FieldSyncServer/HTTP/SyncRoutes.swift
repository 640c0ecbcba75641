import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The HTTP API of the wire protocol (Protocol/WIRE-PROTOCOL.md).
struct SyncRoutes: Sendable {
    let database: ServerDatabase
    let writer: GroupCommitWriter
    let authenticator: DeviceAuthenticator
    let feed: FeedReader
    let histories: HistoryReader
    let admin: AdminService
    /// Audits reads through the writer's group commit (history, compliance, device lists, exports).
    let readAudit: ReadAudit
    let maxBodyBytes: Int
    let devicePolicy: DevicePolicy
    let logger: Logger
    let enrolment: EnrolmentEndpoint
    let watch: WatchEndpoint

    func register(on router: Router<BasicRequestContext>) {
        let v1 = router.group("v1").add(middleware: ProtocolVersionMiddleware<BasicRequestContext>())
            .add(middleware: DeviceReportMiddleware<BasicRequestContext>())
        v1.post("enrol") { request, _ in try await enrol(request) }
        v1.post("changesets") { request, _ in try await push(request) }
        v1.post("changesets/batch") { request, _ in try await pushBatch(request) }
        v1.get("changes") { request, _ in try await pull(request) }
        v1.get("changes/watch") { request, _ in try await watch.watch(request) }
        v1.get("records/:id/history") { request, context in
            try await history(request, id: context.parameters.get("id") ?? "")
        }
        v1.get("records/:id") { request, context in
            try await record(request, id: context.parameters.get("id") ?? "")
        }
        v1.post("device/retire") { request, _ in try await retire(request) }
        v1.get("device/policy") { request, _ in try await policy(request) }
        v1.post("device/views") { request, _ in try await views(request) }
        v1.get("devices") { request, _ in try await devices(request) }
        v1.get("export") { request, _ in try await export(request) }
        v1.get("reports/compliance") { request, _ in try await compliance(request) }
    }

    func enrol(_ request: Request) async throws -> Response {
        try await enrolment.enrol(request)
    }

    func push(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let changeSet = try await RequestDecoding.changeSet(from: request, maxBytes: maxBodyBytes)
        do { try OperationCheck.check(changeSet) } catch { throw APIError.from(error) }
        let applied = try await writer.apply(PreparedChangeSet(changeSet), by: device, report: Self.report(request))
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: applied.json)))
    }

    func pull(_ request: Request) async throws -> Response {
        let query: (cursor: FeedCursor, limit: Int)
        do {
            query = try Self.pullQuery(request.uri.queryParameters)
        } catch {
            // Who is asking comes first: a bad query from an unknown device is answered 401.
            _ = try await authenticator.authenticate(authorization: request.headers[.authorization])
            throw error
        }
        let page = try await feed.page(
            authorization: request.headers[.authorization], authenticator: authenticator, after: query.cursor, limit: query.limit,
            report: Self.report(request))
        let (response, encoding) = ResponseCompression.json(page, for: request)
        ServerMetrics.pullSent(bytes: response.body.contentLength ?? 0, encoding: encoding)
        return response
    }

    /// A pull's `after` cursor and `limit`, checked.
    private static func pullQuery(_ query: FlatDictionary<Substring, Substring>) throws(APIError) -> (cursor: FeedCursor, limit: Int) {
        var cursor = FeedCursor.start
        if let text = query["after"].map(String.init), !text.isEmpty {
            guard let parsed = FeedCursor(token: text) else {
                throw APIError(
                    .badRequest, .badCursor,
                    "The cursor '\(text)' is not one this server gave out; send the cursor from the last page as it was, or none to start over."
                )
            }
            cursor = parsed
        }
        var limit = WireProtocol.defaultPageSize
        if let text = query["limit"].map(String.init) {
            guard let n = Int(text), (1...WireProtocol.maxPageSize).contains(n) else {
                throw APIError(.badRequest, .invalidValue, "limit must be a whole number from 1 to \(WireProtocol.maxPageSize).")
            }
            limit = n
        }
        return (cursor, limit)
    }

    func history(_ request: Request, id: String) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        guard let record = UUID(uuidString: id) else {
            throw APIError(.badRequest, .invalidValue, "'\(id)' is not a record id (a UUID).")
        }
        let scope = try await database.pool.read { db in
            try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
        }
        guard let (page, youngPerson) = try await histories.history(of: record, scope: scope) else {
            throw APIError(.notFound, .notFound, "There is no record \(id) on the server.")
        }
        try await readAudit.record(
            .historyRead, by: device, record: record.uuidString.lowercased(), youngPerson: youngPerson?.uuidString.lowercased(),
            detail: "versions=\(page.versions.count) rejections=\(page.rejections.count) conflicts=\(page.conflicts.count)",
            report: Self.report(request))
        return try Self.json(page)
    }

    /// A device handed back in good order: it has pushed everything, and asks to be revoked
    /// before it erases its store (`fieldsync retire`).
    func retire(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE devices SET revoked_at = ?, wiped_at = ? WHERE id = ?",
                arguments: [WireTime.now(), WireTime.now(), device.deviceId.uuidString])
            try AuditLog.append(
                AuditLog.Event(
                    actor: device.userName, role: device.roleName, device: device.deviceId.uuidString.lowercased(),
                    action: .deviceRetired,
                    detail: "retired by its user"),
                in: db)
        }
        return Self.json(#"{"retired":true}"#)
    }

    /// `GET /v1/export?since=&team=&kind=`: the reconciled export, streamed as NDJSON.
    func export(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let query = request.uri.queryParameters
        var since = FeedCursor.start
        if let text = query["since"].map(String.init), !text.isEmpty {
            guard let parsed = FeedCursor(token: text) else {
                throw APIError(
                    .badRequest, .badCursor,
                    "The export cursor '\(text)' is not one this server gave out; use the cursor from the last export's end line.")
            }
            since = parsed
        }
        var kind: RecordKind?
        if let text = query["kind"].map(String.init), !text.isEmpty {
            guard let parsed = RecordKind(rawValue: text) else {
                throw APIError(.badRequest, .invalidValue, "kind must be visit or pep, not '\(text)'.")
            }
            kind = parsed
        }
        let team = query["team"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let exporter = ReconciledExport(database: database, audit: readAudit)
        let body = try await exporter.body(for: device, filter: .init(since: since, team: team, kind: kind))
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8"], body: body)
    }

    /// `GET /v1/reports/compliance?team=&asOf=YYYY-MM-DD`: statutory visits and PEPs per young person in scope.
    func compliance(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let query = request.uri.queryParameters
        var asOf = CalendarDay.london(Date())
        if let text = query["asOf"].map(String.init), !text.isEmpty {
            guard let day = CalendarDay(text) else {
                throw APIError(.badRequest, .invalidValue, "asOf must be a date written YYYY-MM-DD, not '\(text)'.")
            }
            asOf = day
        }
        let team = query["team"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let report = ComplianceReport(database: database, dataDirectory: (database.path as NSString).deletingLastPathComponent)
        let rows = try await report.rows(for: device, team: team, asOf: asOf)
        try await readAudit.record(
            .complianceReport, by: device, detail: "youngPeople=\(rows.count) team=\(team ?? "-") asOf=\(asOf)",
            report: Self.report(request))
        return try Self.json(rows)
    }

    /// Device health for supervisors (contract 5.5): a team manager sees their team's devices.
    func devices(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        guard device.role == .teamManager else {
            throw APIError(
                .forbidden, .forbidden, "Only team managers (and admins, with fieldsync-server admin device list) may see device health.")
        }
        let devices: [DeviceInfo]
        do { devices = try admin.listDevices(team: device.team) } catch {
            throw APIError(.serviceUnavailable, .unavailable, "Device health could not be read: \(error)")
        }
        try await readAudit.record(
            .deviceList, by: device, detail: "team=\(device.team) devices=\(devices.count)", report: Self.report(request))
        return try Self.json(devices)
    }

    /// What the device reports about itself in its headers, for device health (contract 5.5).
    static func report(_ request: Request) -> DeviceReport {
        DeviceReport.parse(request.headers).report
    }

    static func json<T: Encodable>(_ value: T) throws -> Response {
        let data = try WireProtocol.makeEncoder().encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
