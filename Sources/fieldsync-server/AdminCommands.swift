import ArgumentParser
import FieldSyncCompliance
import FieldSyncProtocol
import FieldSyncServer
import Foundation

struct Admin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users and devices. Works on the data folder whether the server is running or not.",
        discussion: "Every command but init refuses a folder that holds no FieldSync store.",
        subcommands: [
            InitStore.self, UserCommands.self, TeamCommands.self, Allocate.self, Allocations.self, YoungPersonCommands.self,
            DeviceCommands.self, Audit.self, BankHolidays.self, Backup.self,
        ])
}

struct YoungPersonCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "young-person", abstract: "Record the facts the compliance rules need.", subcommands: [Set.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record (or replace) a young person's facts.")
        @OptionGroup var options: AdminOptions
        @Option(help: "The young person's id (a UUID).") var id: String
        @Option(help: "CLA (child in care) or CARE_LEAVER.") var cohort: String
        @Option(help: "Start of the current placement (YYYY-MM-DD).") var placementStart: String?
        @Flag(help: "The placement is intended to last until 18.") var intendedUntil18 = false
        @Option(help: "Date of entering care (YYYY-MM-DD).") var enteredCare: String?
        @Option(help: "Care leavers: start of accommodation provided under s23B/s24B (YYYY-MM-DD).") var accommodationStart: String?
        @Flag(help: "Of PEP age (nursery to Y13).") var pepAge = false

        func run() throws {
            func day(_ text: String?, _ name: String) throws -> CalendarDay? {
                guard let text else { return nil }
                guard let d = CalendarDay(text) else {
                    throw ValidationError("--\(name) must be a date written YYYY-MM-DD, not '\(text)'.")
                }
                return d
            }
            guard let yp = UUID(uuidString: id) else { throw ValidationError("--id must be a UUID.") }
            guard let group = Cohort(rawValue: cohort.uppercased()) else {
                throw ValidationError("--cohort is one of \(Cohort.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            let facts = YoungPersonFacts(
                id: yp, cohort: group, placementStart: try day(placementStart, "placement-start"),
                placementIntendedUntil18: intendedUntil18,
                enteredCare: try day(enteredCare, "entered-care"), accommodationStart: try day(accommodationStart, "accommodation-start"),
                pepAge: pepAge)
            try options.report({ admin throws(AdminError) in try admin.setYoungPerson(facts) }) { _ in
                "Recorded the facts of \(yp.uuidString.lowercased()) (\(group.rawValue))."
            }
        }
    }
}

struct BankHolidays: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank-holidays", abstract: "Install an updated bank-holiday list (one 'YYYY-MM-DD name' a line).",
        subcommands: [Import.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check and install a bank-holiday file for the working-day rules.")
        @OptionGroup var options: AdminOptions
        @Argument(help: "The file.") var file: String
        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.importBankHolidays(from: file) }) {
                "Installed \($0) bank holidays."
            }
        }
    }
}

struct TeamCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "team", abstract: "Add teams.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a team.")
        @OptionGroup var options: AdminOptions
        @Option(help: "The team's name.") var name: String
        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.addTeam(name: name) }) { "Added team \($0.name)." }
        }
    }
}

struct Allocate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Allocate a young person to a worker (key worker or co-worker), or end an allocation.",
        discussion:
            "A new key worker takes over: the young person's records reach the new worker's device on its next sync and leave the old worker's device on its next."
    )
    @OptionGroup var options: AdminOptions
    @Option(help: "The young person's id (a UUID).") var youngPerson: String
    @Option(help: "The worker's user name.") var user: String
    @Option(help: "key or co.") var role = "key"
    @Flag(help: "End this user's allocation instead.") var end = false

    func run() throws {
        try options.report({ admin throws(AdminError) in
            guard let typed = AllocationRole(rawValue: role.lowercased()) else {
                throw AdminError("invalid_role", "--role is key or co, not '\(role)'.")
            }
            return try admin.allocate(youngPerson: youngPerson, user: user, role: typed, end: end)
        }) { a in
            a.ended ? "Ended \(a.user)'s allocation of \(a.youngPerson)." : "Allocated \(a.youngPerson) to \(a.user) (\(a.role) worker)."
        }
    }
}

struct Allocations: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List active allocations.")
    @OptionGroup var options: AdminOptions
    @Option(help: "Only this young person.") var youngPerson: String?

    func run() throws {
        try options.report({ admin throws(AdminError) in try admin.allocations(youngPerson: youngPerson) }) { list in
            list.isEmpty
                ? "No allocations." : list.map { "\($0.youngPerson)\t\($0.user)\t\($0.role)\tsince \($0.at)" }.joined(separator: "\n")
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show the audit trail (every write, pull, read, admin action, and the views made on devices), or check it has not been altered.",
        discussion: """
            The chain is keyed with the audit key (see --audit-key-file). To catch the newest entries being cut off, \
            take an anchor now and then (audit anchor --out FILE), keep it away from the data folder, and check with \
            audit --verify --anchor FILE.
            """,
        subcommands: [Anchor.self])
    @OptionGroup var options: AdminOptions
    @Option(help: "Only entries about this young person.") var youngPerson: String?
    @Option(help: "Only entries by this user.") var user: String?
    @Flag(
        help:
            "Only what was looked at: views on devices (OFFLINE_VIEW, uploaded on their next sync) and reads on the server (record histories, reports, device lists, exports)."
    )
    var views = false
    @Flag(help: "Check the hash chain instead: exits 1 if any entry was removed or altered.") var verify = false
    @Option(help: "With --verify: also compare with this anchor file (from audit anchor), which catches removed newest entries.")
    var anchor: String?

    func validate() throws {
        if anchor != nil && !verify { throw ValidationError("--anchor goes with --verify.") }
        if views && verify { throw ValidationError("--views lists entries; --verify checks the whole chain: give one of them.") }
    }

    func run() throws {
        if verify {
            let admin = try options.service(createAuditKey: false)
            let result: AuditVerification
            do {
                let expected = try anchor.map { path throws(AdminError) in try AuditAnchor.read(from: path) }
                result = try admin.verifyAudit(anchor: expected)
            } catch { throw AdminFailure(error: error, json: options.json) }
            try options.emit(result) { r in
                let against = r.anchor.map { " and agrees with the anchor of \($0.takenAt) (\($0.entries) entries)" } ?? ""
                return r.intact
                    ? "The audit trail is intact (\(r.checked) entries checked\(r.keyed ? "" : "; no audit key, plain SHA-256 only"))\(against)."
                    : "The audit trail is BROKEN: \(r.reason ?? "") (\(r.checked) entries check out before it)."
            }
            if !result.intact { throw ExitCode(1) }
            return
        }
        try options.report({ admin throws(AdminError) in try admin.audit(youngPerson: youngPerson, user: user, viewsOnly: views) }) {
            entries in
            entries.isEmpty
                ? "No audit entries."
                : entries.map { e in
                    "\(e.id)\t\(e.at)\t\(e.actor) (\(e.role))\t\(e.device.map { "device \($0.prefix(8))" } ?? "-")\t\(e.action)\t\(e.record ?? "")\t\(e.youngPerson ?? "")\t\(e.detail)"
                        + (e.offline == true ? "\t(a view on the device, uploaded later)" : "")
                }.joined(separator: "\n")
        }
    }

    struct Anchor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write down the audit trail's newest hash and entry count, to keep elsewhere and check with audit --verify --anchor.")
        @OptionGroup var options: AdminOptions
        @Option(help: "Write the anchor to this file (default: print it).") var out: String?

        func run() throws {
            let admin = try options.service()
            let anchor: AuditAnchor
            do { anchor = try admin.anchorAudit() } catch { throw AdminFailure(error: error, json: options.json) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(anchor)
            if let out {
                do { try (data + Data("\n".utf8)).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw AdminFailure(
                        error: AdminError("storage_error", "Cannot write the anchor to \(out): \(error.localizedDescription)"),
                        json: options.json)
                }
                try options.emit(anchor) { _ in
                    "Anchored the audit trail at entry \(anchor.entries) (\(anchor.head)); wrote \(out). Keep it away from the data folder."
                }
            } else {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}

/// Options every admin command takes.
struct AdminOptions: ParsableArguments {
    @Option(help: "The server's data folder.")
    var data: String

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Option(help: "The audit key file (default: $FIELDSYNC_AUDIT_KEY_FILE, else audit.key in the data folder).")
    var auditKeyFile: String?

    /// Opens the store; a folder with no store is refused (`no_store`) unless `createStore`
    /// (only `admin init` makes one).
    func service(createAuditKey: Bool = true, createStore: Bool = false) throws -> AdminService {
        do {
            let database = try ServerDatabase.open(
                dataDirectory: data, auditKeyFile: AuditKeyFile.resolve(option: auditKeyFile, dataDirectory: data),
                createAuditKey: createAuditKey, createStore: createStore)
            for line in database.tightenedPermissions {
                FileHandle.standardError.write(Data("fieldsync-server: made private (owner only): \(line)\n".utf8))
            }
            return AdminService(database: database)
        } catch {
            throw AdminFailure(error: AdminError(error.code, error.message), json: json)
        }
    }

    /// Prints a result as text or JSON.
    func emit<T: Encodable>(_ value: T, text: (T) -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(text(value))
        }
    }

    /// Runs an admin action, printing its result as text or JSON, or its error with a code.
    func report<T: Encodable>(_ action: (AdminService) throws(AdminError) -> T, text: (T) -> String) throws {
        let admin = try service()
        let value: T
        do { value = try action(admin) } catch { throw AdminFailure(error: error, json: json) }
        try emit(value, text: text)
    }
}

/// An admin error printed for people, or with `--json` as JSON on stdout (``AdminErrorOutput``),
/// with a non-zero exit.
struct AdminFailure: Error, CustomStringConvertible {
    let error: AdminError
    let json: Bool
    var description: String {
        json ? AdminErrorOutput.json(error) : "\(error.message) [\(error.code)]"
    }
}

struct UserCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Add and list users.", subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user.")
        @OptionGroup var options: AdminOptions
        @Option(help: "The user's name, unique on this server.") var name: String
        @Option(help: "PA, SW, TM, VSO, DT or SYSADMIN (or personal-adviser, social-worker, team-manager …).") var role: String
        @Option(help: "The user's team.") var team: String

        func run() throws {
            guard let parsed = Role(loose: role) else {
                throw AdminFailure(
                    error: AdminError(
                        "invalid_role", "'\(role)' is not a role; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))."),
                    json: options.json)
            }
            try options.report({ admin throws(AdminError) in try admin.addUser(name: name, role: parsed, team: team) }) {
                "Added user \($0.name) (\($0.role), team \($0.team))."
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: AdminOptions
        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.listUsers() }) { users in
                users.isEmpty ? "No users yet." : users.map { "\($0.name)\t\($0.role)\t\($0.team)" }.joined(separator: "\n")
            }
        }
    }
}

struct DeviceCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Enrol, list and revoke devices; a lost device's manifest.",
        subcommands: [Enrol.self, List.self, Revoke.self, Manifest.self])

    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a one-time enrolment code for a user's device.")
        @OptionGroup var options: AdminOptions
        @Option(help: "The user the device belongs to.") var user: String
        @Option(help: "A name for the device, e.g. its asset tag.") var name: String?
        @Option(help: "How long the device's sign-in lasts without contact, in seconds (extended on each contact).")
        var tokenLifetimeSeconds = 30 * 24 * 3600
        @OptionGroup(title: "Offline limits") var policy: DevicePolicyOptions
        func validate() throws {
            guard tokenLifetimeSeconds >= 1 else { throw ValidationError("--token-lifetime-seconds must be at least 1.") }
        }
        func run() throws {
            try options.report({ admin throws(AdminError) in
                try admin.enrolDevice(user: user, deviceName: name, tokenLifetimeSeconds: tokenLifetimeSeconds, policy: policy.override)
            }) {
                "Enrolment code for \($0.user): \($0.code)\n(device \($0.device); valid until \($0.expiresAt); use once with: fieldsync enrol --server URL --code \($0.code))"
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices and their health.")
        @OptionGroup var options: AdminOptions
        @Option(help: "Only the devices of this team's users (a supervisor's view).") var team: String?
        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.listDevices(team: team) }) { devices in
                if devices.isEmpty { return "No devices yet." }
                return devices.map { d in
                    let seen = d.lastSeenAt ?? "never"
                    let unsent = d.unsent.map(String.init) ?? "?"
                    return
                        "\(d.id)\t\(d.user)\t\(d.state)\tlast seen \(seen)\tunsent \(unsent)\trejections \(d.rejections)\t\(d.client ?? "")"
                }.joined(separator: "\n")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a device: it is refused at once and told to wipe.")
        @OptionGroup var options: AdminOptions
        @Option(help: "The device id.") var device: String
        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.revokeDevice(id: device) }) {
                "Revoked device \($0.id) of \($0.user) at \($0.revokedAt ?? "")."
            }
        }
    }
}
