import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes

/// The enrolled device behind a request, and its user.
public struct AuthenticatedDevice: Sendable, Hashable {
    public let deviceId: UUID
    public let userName: String
    /// Nil for a role this build does not know (a store written by a newer one): granted nothing.
    public let role: Role?
    public let team: String

    public init(deviceId: UUID, userName: String, role: Role?, team: String) {
        self.deviceId = deviceId
        self.userName = userName
        self.role = role
        self.team = team
    }

    /// The role as the audit trail and messages write it.
    public var roleName: String { role?.rawValue ?? "UNKNOWN" }
}

/// Finds the device a bearer token belongs to. Each request looks it up afresh, so an enrolment
/// or a revocation made by an admin command takes effect on the very next request.
struct DeviceAuthenticator: Sendable {
    let database: ServerDatabase
    /// Where forged, expired and revoked tokens are reported (coalesced; nil in tests).
    var securityAudit: SecurityAudit? = nil

    /// The device behind `authorization`, looked up in a read transaction of its own.
    func authenticate(authorization: String?) async throws(APIError) -> AuthenticatedDevice {
        do {
            return try await authenticate(authorization: authorization) { _, _ in () }.device
        } catch let error as APIError {
            throw error
        } catch {
            throw Self.unreadable
        }
    }

    /// The device behind `authorization`, and `read` run in the same read transaction once the
    /// token is found good: a pull authenticates and reads its page with one trip to a reader
    /// (measured under W5, the lookup's statement preparation and the second trip cost as much
    /// server CPU as the page read itself). `read` never runs for a token that is unknown,
    /// revoked or expired; those answers, and their side effects, come after the transaction.
    func authenticate<Value: Sendable>(
        authorization: String?, then read: @Sendable (AuthenticatedDevice, Database) throws -> Value
    ) async throws -> (device: AuthenticatedDevice, value: Value) {
        let hash = try Self.tokenHash(authorization)
        let looked: (found: Found?, value: Value?)
        do {
            looked = try await database.pool.read { db -> (found: Found?, value: Value?) in
                let found = try Self.lookup(hash, in: db)
                guard let found, let device = found.usable(at: Date()) else { return (found, nil) }
                return (found, try read(device, db))
            }
        } catch let error as APIError {
            throw error
        } catch is DatabaseError {
            throw Self.unreadable
        }
        let device = try await verdict(on: looked.found)
        // `read` ran unless the token was unusable, and then the verdict has thrown.
        guard let value = looked.value else { throw Self.unreadable }
        return (device, value)
    }

    private static let unreadable = APIError(
        .serviceUnavailable, .unavailable, "The server could not read its device list; try again shortly.")

    /// What the devices table says of one token hash.
    private struct Found: Sendable {
        let id: String, revokedAt: String?, wipedAt: String?, expiresAt: String?, lifetime: Int
        let name: String, role: String, team: String

        /// The device, when this token may be used at `now` (known, not revoked, not expired).
        func usable(at now: Date) -> AuthenticatedDevice? {
            guard revokedAt == nil, let id = UUID(uuidString: id) else { return nil }
            if let expires = expiresAt.flatMap(WireTime.parse), expires < now { return nil }
            return AuthenticatedDevice(deviceId: id, userName: name, role: Role(rawValue: role), team: team)
        }
    }

    private static func tokenHash(_ authorization: String?) throws(APIError) -> String {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw APIError(
                .unauthorized, .unauthenticated,
                "This request has no bearer token. Enrol the device (fieldsync enrol) and send its token as 'Authorization: Bearer <token>'."
            )
        }
        return Secrets.hash(String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces))
    }

    private static func lookup(_ hash: String, in db: Database) throws -> Found? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT d.id, d.revoked_at, d.wiped_at, d.token_expires_at, d.token_lifetime_seconds, u.name, u.role, u.team
                    FROM devices d JOIN users u ON u.name = d.user_name WHERE d.token_hash = ?
                    """), arguments: [hash]
        ).map {
            Found(
                id: $0["id"], revokedAt: $0["revoked_at"], wipedAt: $0["wiped_at"], expiresAt: $0["token_expires_at"],
                lifetime: $0["token_lifetime_seconds"], name: $0["name"], role: $0["role"], team: $0["team"])
        }
    }

    /// The answer for what the lookup found: the device, or the refusal (with its audit entries,
    /// the wipe mark on a revoked device's first contact, and the sliding token extension).
    private func verdict(on found: Found?) async throws(APIError) -> AuthenticatedDevice {
        guard let found, let id = UUID(uuidString: found.id) else {
            securityAudit?.record(
                .init(action: .authFailed, address: PeerAddress.current, reason: "a bearer token the server never issued"))
            throw APIError(
                .unauthorized, .unauthenticated,
                "This token is not one the server issued. Enrol the device again with a new code from your admin.")
        }
        if let revokedAt = found.revokedAt {
            if found.wipedAt == nil {
                // The first contact after revocation: the device is told to wipe (contract 5.5).
                try? await database.pool.write { db in
                    try db.execute(
                        sql: "UPDATE devices SET wiped_at = ? WHERE id = ? AND wiped_at IS NULL", arguments: [WireTime.now(), found.id])
                    try AuditLog.append(
                        AuditLog.Event(
                            actor: found.name, role: found.role, device: found.id.lowercased(), action: .remoteWipe,
                            detail: "revoked at \(revokedAt)"),
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
                        action: .authFailed, actor: found.name, role: found.role, device: found.id.lowercased(),
                        address: PeerAddress.current,
                        reason: "a token that expired at \(found.expiresAt ?? "")"))
                throw APIError(
                    .unauthorized, .tokenExpired,
                    "This device's sign-in expired at \(found.expiresAt ?? "") after a long time without contact. Ask your admin for a new enrolment code."
                )
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
        return AuthenticatedDevice(deviceId: id, userName: found.name, role: Role(rawValue: found.role), team: found.team)
    }
}
