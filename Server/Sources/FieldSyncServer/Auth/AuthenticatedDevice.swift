import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes

/// The enrolled device behind a request, and its user.
public struct AuthenticatedDevice: Sendable, Hashable {
    public let deviceId: UUID
    public let userName: String
    public let role: String
    public let team: String
}

/// Finds the device a bearer token belongs to. Each request looks it up afresh, so an enrolment
/// or a revocation made by an admin command takes effect on the very next request.
struct DeviceAuthenticator: Sendable {
    let database: ServerDatabase

    func authenticate(authorization: String?) async throws(APIError) -> AuthenticatedDevice {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw APIError(
                .unauthorized, .unauthenticated,
                "This request has no bearer token. Enrol the device (fieldsync enrol) and send its token as 'Authorization: Bearer <token>'.")
        }
        let token = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let hash = Secrets.hash(token)
        /// id, revoked at, user name, role, team
        typealias Found = (id: String, revokedAt: String?, name: String, role: String, team: String)
        let found: Found?
        do {
            found = try await database.pool.read { db -> Found? in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.id, d.revoked_at, u.name, u.role, u.team FROM devices d
                        JOIN users u ON u.name = d.user_name WHERE d.token_hash = ?
                        """, arguments: [hash]
                ).map { ($0["id"], $0["revoked_at"], $0["name"], $0["role"], $0["team"]) }
            }
        } catch {
            throw APIError(.serviceUnavailable, .unavailable, "The server could not read its device list; try again shortly.")
        }
        guard let found, let id = UUID(uuidString: found.id) else {
            throw APIError(
                .unauthorized, .unauthenticated,
                "This token is not one the server issued. Enrol the device again with a new code from your admin.")
        }
        if let revokedAt = found.revokedAt {
            throw APIError(
                .forbidden, .deviceRevoked,
                "This device was revoked at \(revokedAt) and may no longer sync. Its local store must be erased.",
                wipe: true)
        }
        return AuthenticatedDevice(deviceId: id, userName: found.name, role: found.role, team: found.team)
    }
}
