import FieldSyncProtocol
import Foundation
import GRDB

/// Users and devices: what `fieldsync-server admin` does, on the same data folder whether the
/// server is running or not.
public struct AdminService: Sendable {
    public let database: ServerDatabase
    /// How long an enrolment code stays valid.
    public static let codeLifetime: TimeInterval = 7 * 24 * 3600

    public init(database: ServerDatabase) { self.database = database }

    public func addUser(name: String, role: Role, team: String) throws(AdminError) -> UserInfo {
        try Self.checkName(name, what: "user name")
        try Self.checkName(team, what: "team name")
        let user = UserInfo(name: name, role: role.rawValue, team: team, createdAt: WireTime.now())
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) != nil {
                throw AdminError("user_exists", "There is already a user named '\(name)'; pick another name or use the existing user.")
            }
            try db.execute(
                sql: "INSERT INTO users(name, role, team, created_at) VALUES (?, ?, ?, ?)",
                arguments: [user.name, user.role, user.team, user.createdAt])
        }
        return user
    }

    public func listUsers() throws(AdminError) -> [UserInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map {
                UserInfo(name: $0["name"], role: $0["role"], team: $0["team"], createdAt: $0["created_at"])
            }
        }
    }

    /// Makes a device slot for a user and a one-time code the device enrols with.
    public func enrolDevice(user: String, deviceName: String?) throws(AdminError) -> EnrolmentTicket {
        let code = Secrets.newEnrolmentCode()
        let id = UUID()
        let now = Date()
        let expires = WireTime.format(now.addingTimeInterval(Self.codeLifetime))
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [user]) != nil else {
                throw AdminError("unknown_user", "There is no user named '\(user)'. Add them first: fieldsync-server admin user add --name \(user) --role ROLE --team TEAM")
            }
            try db.execute(
                sql: "INSERT INTO devices(id, user_name, name, enrol_code_hash, code_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    id.uuidString, user, deviceName, Secrets.hash(Secrets.normaliseCode(code)), expires, WireTime.format(now),
                ])
        }
        return EnrolmentTicket(device: id.uuidString.lowercased(), user: user, code: code, expiresAt: expires)
    }

    public func listDevices() throws(AdminError) -> [DeviceInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM devices ORDER BY user_name, created_at").map(DeviceInfo.init(row:))
        }
    }

    public func revokeDevice(id: String) throws(AdminError) -> DeviceInfo {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ? COLLATE NOCASE", arguments: [id]) else {
                throw AdminError("unknown_device", "There is no device \(id); list them with: fieldsync-server admin device list")
            }
            if (row["revoked_at"] as String?) == nil {
                try db.execute(
                    sql: "UPDATE devices SET revoked_at = ?, enrol_code_hash = NULL WHERE id = ?",
                    arguments: [WireTime.now(), row["id"] as String])
            }
            return try DeviceInfo(row: Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ?", arguments: [row["id"] as String])!)
        }
    }

    /// Trades a one-time code for a bearer token (the code then no longer works).
    func redeem(code: String, deviceName: String?) throws(AdminError) -> EnrolmentResponse {
        let token = Secrets.newToken()
        let hash = Secrets.hash(Secrets.normaliseCode(code))
        return try write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT d.id, d.code_expires_at, d.revoked_at, u.name, u.role, u.team FROM devices d
                        JOIN users u ON u.name = d.user_name WHERE d.enrol_code_hash = ? AND d.token_hash IS NULL
                        """, arguments: [hash])
            else {
                throw AdminError("bad_enrolment_code", "That enrolment code is not valid (or was used already). Ask your admin for a new one.")
            }
            if let expires = (row["code_expires_at"] as String?).flatMap(WireTime.parse), expires < Date() {
                throw AdminError("bad_enrolment_code", "That enrolment code expired; ask your admin for a new one.")
            }
            let id: String = row["id"]
            try db.execute(
                sql: "UPDATE devices SET token_hash = ?, enrol_code_hash = NULL, enrolled_at = ?, name = COALESCE(?, name) WHERE id = ?",
                arguments: [Secrets.hash(token), WireTime.now(), deviceName, id])
            return EnrolmentResponse(
                device: id.lowercased(), user: row["name"], role: row["role"], team: row["team"], token: token,
                protocolVersions: WireProtocol.supportedVersions)
        }
    }

    static func checkName(_ name: String, what: String) throws(AdminError) {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@ "))
        if name.isEmpty || name.count > 100 || name.unicodeScalars.contains(where: { !allowed.contains($0) }) {
            throw AdminError("invalid_name", "The \(what) '\(name)' is not usable: use 1 to 100 letters, digits, spaces or . _ - @")
        }
    }

    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) throws(AdminError) -> T {
        do { return try database.pool.write(body) } catch let error as AdminError { throw error } catch {
            throw AdminError("storage_error", "The database could not be written: \(error)")
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) throws(AdminError) -> T {
        do { return try database.pool.read(body) } catch let error as AdminError { throw error } catch {
            throw AdminError("storage_error", "The database could not be read: \(error)")
        }
    }
}

/// An admin command that cannot be done, with a code and a sentence.
public struct AdminError: Error, Sendable, CustomStringConvertible, Codable {
    public let code: String
    public let message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

public struct UserInfo: Codable, Sendable {
    public let name: String
    public let role: String
    public let team: String
    public let createdAt: String
}

public struct EnrolmentTicket: Codable, Sendable {
    public let device: String
    public let user: String
    public let code: String
    public let expiresAt: String
}

/// A device and its health, as admins and supervisors see it (contract 5.5).
public struct DeviceInfo: Codable, Sendable {
    public let id: String
    public let user: String
    public let name: String?
    public let state: String
    public let createdAt: String
    public let enrolledAt: String?
    public let revokedAt: String?
    public let lastSeenAt: String?
    public let lastSequence: Int64
    public let client: String?
    public let protocolVersion: Int?
    public let unsent: Int?
    public let oldestUnsentSeconds: Int?
    public let rejections: Int

    init(row: Row) {
        id = (row["id"] as String).lowercased()
        user = row["user_name"]
        name = row["name"]
        createdAt = row["created_at"]
        enrolledAt = row["enrolled_at"]
        revokedAt = row["revoked_at"]
        lastSeenAt = row["last_seen_at"]
        lastSequence = row["last_sequence"]
        client = row["client"]
        protocolVersion = row["protocol_version"]
        unsent = row["unsent"]
        oldestUnsentSeconds = row["oldest_unsent_seconds"]
        rejections = row["rejections"]
        state = revokedAt != nil ? "revoked" : (enrolledAt != nil ? "enrolled" : "awaiting-enrolment")
    }
}
