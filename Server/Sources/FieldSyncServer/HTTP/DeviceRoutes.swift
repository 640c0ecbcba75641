import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore

/// The routes a device uses for its own standing and for records it let go: its policy, and one
/// record fetched on demand.
extension SyncRoutes {
    /// `GET /v1/device/policy`: the device's offline lease, erase limit and retention (its own,
    /// set at enrolment, else the server's). A device asks on every sync, so a change reaches it.
    func policy(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        // Read into Sendable values, so the asynchronous read (off the event loop) is the one taken.
        let overrides: (lease: Int?, erase: Int?, retention: Int?) = try await database.pool.read { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT offline_lease_seconds, offline_erase_seconds, retention_seconds FROM devices WHERE id = ?",
                arguments: [device.deviceId.uuidString])
            return (row?["offline_lease_seconds"], row?["offline_erase_seconds"], row?["retention_seconds"])
        }
        let policy = devicePolicy.overridden(lease: overrides.lease, erase: overrides.erase, retention: overrides.retention)
        return try Self.json(policy)
    }

    /// `GET /v1/records/{id}`: one record as the feed would send it, for a device that let it go
    /// (retention) and is asked to show it again. Scoped like the feed and audited as a read.
    func record(_ request: Request, id: String) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        guard let record = UUID(uuidString: id) else {
            throw APIError(.badRequest, .invalidValue, "'\(id)' is not a record id (a UUID).")
        }
        let found: (document: Data, youngPerson: String)? = try await database.pool.read { db in
            let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT kind, young_person, document FROM records WHERE id = ?", arguments: [record.uuidString]),
                let kind = RecordKind(rawValue: row["kind"]), let youngPerson = UUID(uuidString: row["young_person"]),
                scope.allows(kind, youngPerson)
            else { return nil }
            return (row["document"], youngPerson.uuidString.lowercased())
        }
        // Out of scope answers as missing: a device learns nothing of records it may not see.
        guard let found else { throw APIError(.notFound, .notFound, "There is no record \(id) on the server that this device may see.") }
        try await readAudit.record(
            .recordRead, by: device, record: record.uuidString.lowercased(), youngPerson: found.youngPerson, detail: "on demand",
            report: Self.report(request))
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: found.document)))
    }
}
