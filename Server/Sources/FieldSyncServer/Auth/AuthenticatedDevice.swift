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
    /// Where forged, expired and revoked tokens are reported (coalesced; nil in tests).
    var securityAudit: SecurityAudit? = nil

    func authenticate(authorization: String?) async throws(APIError) -> AuthenticatedDevice {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw APIError(
                .unauthorized, .unauthenticated,
                "This request has no bearer token. Enrol the device (fieldsync enrol) and send its token as 'Authorization: Bearer <token>'.")
        }
        let token = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let hash = Secrets.hash(token)
        struct Found: Sendable {
            let id: String, revokedAt: String?, wipedAt: String?, expiresAt: String?, lifetime: Int
            let name: String, role: String, team: String
        }
        let found: Found?
        do {
            found = try await database.pool.read { db -> Found? in
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.id, d.revoked_at, d.wiped_at, d.token_expires_at, d.token_lifetime_seconds, u.name, u.role, u.team
                        FROM devices d JOIN users u ON u.name = d.user_name WHERE d.token_hash = ?
                        """, arguments: [hash]
                ).map {
                    Found(
                        id: $0["id"], revokedAt: $0["revoked_at"], wipedAt: $0["wiped_at"], expiresAt: $0["token_expires_at"],
                        lifetime: $0["token_lifetime_seconds"], name: $0["name"], role: $0["role"], team: $0["team"])
                }
            }
        } catch {
            throw APIError(.serviceUnavailable, .unavailable, "The server could not read its device list; try again shortly.")
        }
        guard let found, let id = UUID(uuidString: found.id) else {
            securityAudit?.record(.init(action: .authFailed, address: PeerAddress.current, reason: "a bearer token the server never issued"))
            throw APIError(
                .unauthorized, .unauthenticated,
                "This token is not one the server issued. Enrol the device again with a new code from your admin.")
        }
        if let revokedAt = found.revokedAt {
            if found.wipedAt == nil {
                // The first contact after revocation: the device is told to wipe (contract 5.5).
                try? await database.pool.write { db in
                    try db.execute(sql: "UPDATE devices SET wiped_at = ? WHERE id = ? AND wiped_at IS NULL", arguments: [WireTime.now(), found.id])
                    try AuditLog.append(
                        AuditLog.Event(actor: found.name, role: found.role, device: found.id.lowercased(), action: "REMOTE_WIPE", detail: "revoked at \(revokedAt)"),
                        in: db)
                }
            }
            securityAudit?.record(
                .init(
                    action: .authFailed, actor: found.name, role: found.role, device: found.id.lowercased(), address: PeerAddress.current,
                    reason: "the token of a device revoked at \(revokedAt)"))
            throw APIError(
                .forbidden, .deviceRevoked,
                "This device was revoked at \(revokedAt) and may no longer sync. Its local store must be erased.",
                wipe: true)
        }
        let now = Date()
        if let expires = found.expiresAt.flatMap(WireTime.parse) {
            if expires < now {
                securityAudit?.record(
                    .init(
                        action: .authFailed, actor: found.name, role: found.role, device: found.id.lowercased(), address: PeerAddress.current,
                        reason: "a token that expired at \(found.expiresAt ?? "")"))
                throw APIError(
                    .unauthorized, .tokenExpired,
                    "This device's sign-in expired at \(found.expiresAt ?? "") after a long time without contact. Ask your admin for a new enrolment code.")
            }
            // Sliding lifetime: extended on contact, written at most once per half lifetime.
            if expires.timeIntervalSince(now) < Double(found.lifetime) / 2 {
                try? await database.pool.write { db in
                    try db.execute(
                        sql: "UPDATE devices SET token_expires_at = ? WHERE id = ?",
                        arguments: [WireTime.format(now.addingTimeInterval(Double(found.lifetime))), found.id])
                }
            }
        }
        RequestObservation.authenticated(id)
        return AuthenticatedDevice(deviceId: id, userName: found.name, role: found.role, team: found.team)
    }
}
