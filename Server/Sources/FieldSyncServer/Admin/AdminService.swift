import FieldSyncCompliance
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
            // Teams are made by `team add` only: a mistyped --team is refused, not a new team.
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM teams WHERE name = ?", arguments: [team]) == nil {
                let known = try String.fetchAll(db, sql: "SELECT name FROM teams ORDER BY name LIMIT 20")
                throw AdminError(
                    "unknown_team",
                    "There is no team named '\(team)' (\(known.isEmpty ? "no teams yet" : "teams: " + known.joined(separator: ", "))). Nothing was changed; add it first: fieldsync-server admin team add --name \"\(team)\""
                )
            }
            try db.execute(
                sql: "INSERT INTO users(name, role, team, created_at) VALUES (?, ?, ?, ?)",
                arguments: [user.name, user.role, user.team, user.createdAt])
            try Self.audit(db, .userAdded, detail: "user=\(name) role=\(role.rawValue) team=\(team)")
        }
        return user
    }

    public func addTeam(name: String) throws(AdminError) -> TeamInfo {
        try Self.checkName(name, what: "team name")
        let team = TeamInfo(name: name, createdAt: WireTime.now())
        try write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM teams WHERE name = ?", arguments: [name]) != nil {
                throw AdminError("team_exists", "There is already a team named '\(name)'.")
            }
            try db.execute(sql: "INSERT INTO teams(name, created_at) VALUES (?, ?)", arguments: [name, team.createdAt])
            try Self.audit(db, .teamAdded, detail: "team=\(name)")
        }
        return team
    }

    /// Allocates a young person to a worker. A new key worker ends the previous key allocation:
    /// the young person's records move to the new worker's device on its next pull and leave the
    /// old worker's device on its next (contract 5.3). `end` ends this user's allocation instead.
    public func allocate(youngPerson: String, user: String, role: AllocationRole, end: Bool) throws(AdminError) -> AllocationInfo {
        guard let yp = UUID(uuidString: youngPerson) else {
            throw AdminError("invalid_young_person", "'\(youngPerson)' is not a young person id (a UUID).")
        }
        let now = WireTime.now()
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [user]) != nil else {
                throw AdminError("unknown_user", "There is no user named '\(user)'.")
            }
            if end {
                try db.execute(
                    sql: "UPDATE allocations SET ended_at = ? WHERE young_person = ? AND user_name = ? AND ended_at IS NULL",
                    arguments: [now, yp.uuidString, user])
                try Self.audit(db, .allocationEnded, youngPerson: yp, detail: "user=\(user)")
            } else {
                var moved: [String] = []
                if role == .key {
                    moved = try String.fetchAll(
                        db,
                        sql:
                            "SELECT user_name FROM allocations WHERE young_person = ? AND role = 'key' AND ended_at IS NULL AND user_name <> ?",
                        arguments: [yp.uuidString, user])
                    try db.execute(
                        sql:
                            "UPDATE allocations SET ended_at = ? WHERE young_person = ? AND ended_at IS NULL AND (role = 'key' OR user_name = ?)",
                        arguments: [now, yp.uuidString, user])
                } else {
                    try db.execute(
                        sql: "UPDATE allocations SET ended_at = ? WHERE young_person = ? AND user_name = ? AND ended_at IS NULL",
                        arguments: [now, yp.uuidString, user])
                }
                try db.execute(
                    sql: "INSERT INTO allocations(young_person, user_name, role, started_at) VALUES (?, ?, ?, ?)",
                    arguments: [yp.uuidString, user, role.rawValue, now])
                try Self.audit(
                    db, .accessGranted, youngPerson: yp,
                    detail: "user=\(user) role=\(role.rawValue)\(moved.isEmpty ? "" : " moved-from=\(moved.joined(separator: ","))")")
            }
            return AllocationInfo(youngPerson: yp.uuidString.lowercased(), user: user, role: role.rawValue, at: now, ended: end)
        }
    }

    public func allocations(youngPerson: String?) throws(AdminError) -> [AllocationInfo] {
        try read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT * FROM allocations WHERE ended_at IS NULL AND (? IS NULL OR young_person = ? COLLATE NOCASE) ORDER BY young_person, role, user_name",
                arguments: [youngPerson, youngPerson]
            ).map {
                AllocationInfo(
                    youngPerson: ($0["young_person"] as String).lowercased(), user: $0["user_name"], role: $0["role"], at: $0["started_at"],
                    ended: false)
            }
        }
    }

    /// Records the facts the compliance rules need about a young person (from the core case system).
    public func setYoungPerson(_ facts: YoungPersonFacts) throws(AdminError) -> YoungPersonFacts {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO young_people(id, facts, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET facts = excluded.facts, updated_at = excluded.updated_at
                    """,
                arguments: [facts.id.uuidString, try WireProtocol.makeEncoder().encode(facts), WireTime.now()])
            try Self.audit(db, .youngPersonFacts, youngPerson: facts.id, detail: "cohort=\(facts.cohort.rawValue)")
        }
        return facts
    }

    /// Installs an updated bank-holiday list (checked first) for the working-day rules.
    public func importBankHolidays(from path: String) throws(AdminError) -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw AdminError("unreadable_file", "Cannot read \(path).")
        }
        let calendar: WorkingDayCalendar
        do { calendar = try WorkingDayCalendar(bankHolidaysText: text) } catch {
            throw AdminError("invalid_bank_holidays", "\(path): \(error)")
        }
        let target = ((database.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            ComplianceReport.bankHolidayFile)
        do { try text.write(toFile: target, atomically: true, encoding: .utf8) } catch {
            throw AdminError("storage_error", "Cannot write \(target): \(error.localizedDescription)")
        }
        try write { db in try Self.audit(db, .bankHolidaysImported, detail: "days=\(calendar.bankHolidays.count)") }
        return calendar.bankHolidays.count
    }

    /// The audit trail, oldest first, optionally for one young person or one user, and with
    /// `viewsOnly` only what was looked at (``OfflineViews/lookedAt``).
    public func audit(youngPerson: String?, user: String?, viewsOnly: Bool = false) throws(AdminError) -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM audit_log WHERE (? IS NULL OR young_person = lower(?)) AND (? IS NULL OR actor = ?)
                      AND (? = 0 OR action IN (SELECT value FROM json_each(?))) ORDER BY id
                    """,
                arguments: [youngPerson, youngPerson, user, user, viewsOnly, OfflineViews.lookedAtJSON]
            ).map(AuditLog.entry).map(OfflineViews.annotated)
        }
    }

    /// Checks the audit chain (with the audit key), and against an anchor when one is given.
    public func verifyAudit(anchor: AuditAnchor? = nil) throws(AdminError) -> AuditVerification {
        let key = database.auditKey.key
        let keyFile = database.auditKeyFile.path
        return try read { db in
            let walk = try AuditLog.walk(in: db, key: key, keyFile: keyFile, anchoredAt: anchor?.entries)
            let anchorProblem = anchor?.mismatch(lastId: walk.lastId, hashAtAnchor: walk.hashAtAnchor)
            let reason = [walk.broken?.reason, anchorProblem].compactMap { $0 }.joined(separator: "; ")
            return AuditVerification(
                intact: walk.broken == nil && anchorProblem == nil, checked: walk.checked,
                brokenAt: walk.broken?.id ?? (anchorProblem == nil ? nil : min(walk.lastId + 1, anchor?.entries ?? 0)),
                reason: reason.isEmpty ? nil : reason, keyed: key != nil, keyedFrom: key?.keyedFrom,
                anchor: anchor.map {
                    AuditVerification.AnchorCheck(entries: $0.entries, takenAt: $0.takenAt, matches: anchorProblem == nil)
                })
        }
    }

    /// Takes an anchor: writes an AUDIT_ANCHOR entry and returns the trail's newest entry (that
    /// one) and its hash, for the operator to keep somewhere the data folder does not reach.
    public func anchorAudit() throws(AdminError) -> AuditAnchor {
        let fingerprint = database.auditKey.key?.fingerprint
        return try write { db in
            try Self.audit(db, .auditAnchor, detail: "")
            guard let row = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1") else {
                throw AdminError("storage_error", "The audit trail could not be read back.")
            }
            return AuditAnchor(entries: row["id"], head: row["hash"], takenAt: WireTime.now(), key: fingerprint)
        }
    }

    static func audit(_ db: Database, _ action: AuditAction, youngPerson: UUID? = nil, detail: String) throws {
        try AuditLog.append(
            AuditLog.Event(
                actor: "admin", role: Role.admin.rawValue, device: nil, action: action, youngPerson: youngPerson?.uuidString.lowercased(),
                detail: detail),
            in: db)
    }

    public func listUsers() throws(AdminError) -> [UserInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map {
                UserInfo(name: $0["name"], role: $0["role"], team: $0["team"], createdAt: $0["created_at"])
            }
        }
    }

    /// Makes a device slot for a user and a one-time code the device enrols with.
    ///
    /// - Parameter policy: the device's own offline lease, erase limit and retention, in seconds;
    ///   each nil takes the server's (`serve --offline-lease-days` ...).
    public func enrolDevice(
        user: String, deviceName: String?, tokenLifetimeSeconds: Int = 30 * 24 * 3600, policy: DevicePolicyOverride = .init()
    ) throws(AdminError)
        -> EnrolmentTicket
    {
        if let problem = policy.problem { throw AdminError("invalid_value", problem) }
        let code = Secrets.newEnrolmentCode()
        let id = UUID()
        let now = Date()
        let expires = WireTime.format(now.addingTimeInterval(Self.codeLifetime))
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [user]) != nil else {
                throw AdminError(
                    "unknown_user",
                    "There is no user named '\(user)'. Add them first: fieldsync-server admin user add --name \(user) --role ROLE --team TEAM"
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO devices(id, user_name, name, enrol_code_hash, code_expires_at, created_at, token_lifetime_seconds,
                      offline_lease_seconds, offline_erase_seconds, retention_seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id.uuidString, user, deviceName, Secrets.hash(Secrets.normaliseCode(code)), expires, WireTime.format(now),
                    tokenLifetimeSeconds, policy.offlineLeaseSeconds, policy.offlineEraseSeconds, policy.retentionSeconds,
                ])
            try Self.audit(db, .deviceEnrolmentIssued, detail: "device=\(id.uuidString.lowercased()) user=\(user)")
        }
        return EnrolmentTicket(device: id.uuidString.lowercased(), user: user, code: code, expiresAt: expires)
    }

    /// Devices and their health; with `team`, only the devices of that team's users (a supervisor's view).
    public func listDevices(team: String? = nil) throws(AdminError) -> [DeviceInfo] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.* FROM devices d JOIN users u ON u.name = d.user_name
                    WHERE (? IS NULL OR u.team = ?) ORDER BY d.user_name, d.created_at
                    """, arguments: [team, team]
            ).map(DeviceInfo.init(row:))
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
                try Self.audit(
                    db, .deviceRevoked, detail: "device=\((row["id"] as String).lowercased()) user=\(row["user_name"] as String)")
            }
            return try DeviceInfo(row: Row.fetchOne(db, sql: "SELECT * FROM devices WHERE id = ?", arguments: [row["id"] as String])!)
        }
    }

    /// Trades a one-time code for a bearer token (the code then no longer works). The device's own
    /// name (its hostname, say) is taken only when the admin gave none at `device enrol --name`.
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
                throw AdminError(
                    "bad_enrolment_code", "That enrolment code is not valid (or was used already). Ask your admin for a new one.")
            }
            if let expires = (row["code_expires_at"] as String?).flatMap(WireTime.parse), expires < Date() {
                throw AdminError("bad_enrolment_code", "That enrolment code expired; ask your admin for a new one.")
            }
            let id: String = row["id"]
            let lifetime =
                try Int.fetchOne(db, sql: "SELECT token_lifetime_seconds FROM devices WHERE id = ?", arguments: [id]) ?? 2_592_000
            try db.execute(
                sql: """
                    UPDATE devices SET token_hash = ?, enrol_code_hash = NULL, enrolled_at = ?, name = COALESCE(name, ?),
                      token_expires_at = ? WHERE id = ?
                    """,
                arguments: [
                    Secrets.hash(token), WireTime.now(), deviceName, WireTime.format(Date().addingTimeInterval(TimeInterval(lifetime))), id,
                ])
            try AuditLog.append(
                AuditLog.Event(actor: row["name"], role: row["role"], device: id.lowercased(), action: .login, detail: "enrolled"), in: db)
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

public struct TeamInfo: Codable, Sendable {
    public let name: String
    public let createdAt: String
}

public struct AllocationInfo: Codable, Sendable {
    public let youngPerson: String
    public let user: String
    public let role: String
    public let at: String
    public let ended: Bool
}

public struct AuditVerification: Codable, Sendable {
    public let intact: Bool
    public let checked: Int
    public let brokenAt: Int64?
    public let reason: String?
    /// Whether the audit key was there to check keyed entries with.
    public var keyed: Bool = false
    /// The first entry hashed with the key (earlier ones are plain SHA-256).
    public var keyedFrom: Int64? = nil
    /// The comparison with the anchor given (`--anchor FILE`).
    public var anchor: AnchorCheck? = nil

    public struct AnchorCheck: Codable, Sendable {
        public let entries: Int64
        public let takenAt: String
        public let matches: Bool
    }
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
    public let tokenExpiresAt: String?
    public let wipedAt: String?

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
        tokenExpiresAt = row["token_expires_at"]
        wipedAt = row["wiped_at"]
        state = revokedAt != nil ? "revoked" : (enrolledAt != nil ? "enrolled" : "awaiting-enrolment")
    }
}
