import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

/// One test's world: a temp folder, a server process on its own data folder, and devices
/// enrolled through the real admin CLI and `fieldsync enrol`. Everything is removed and every
/// process stopped when the world goes away.
final class TestWorld: @unchecked Sendable {
    let root: URL
    let server: ServerProcess
    /// A young person allocated to every user made with ``device(_:role:team:)`` (key worker first,
    /// co-workers after), so devices share records unless a test says otherwise.
    let youngPerson = UUID()
    var keyDirectory: String { root.appendingPathComponent("keys").path }
    private var users = Set<String>()
    private var teams = Set<String>()
    private var allocatedKey = false

    init(startServer: Bool = true, serverArguments: [String] = []) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fieldsync-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        server = ServerProcess(dataDirectory: root.appendingPathComponent("server-data").path)
        if startServer { try server.start(extraArguments: serverArguments) }
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: root)
    }

    @discardableResult
    func admin(_ arguments: [String]) throws -> CommandOutput {
        try ProcessRunner.run(Binaries.server, ["admin", "--data", server.dataDirectory] + arguments)
    }

    func addUser(_ name: String, role: String = "PA", team: String = "north") throws {
        guard !users.contains(name) else { return }
        try addTeam(team)
        let out = try admin(["user", "add", "--name", name, "--role", role, "--team", team])
        guard out.succeeded else { throw WorldError("user add failed: \(out.stderr)\(out.stdout)") }
        users.insert(name)
    }

    /// Adds the team once (teams are made by `team add` only; `user add` refuses an unknown one).
    func addTeam(_ name: String) throws {
        guard !teams.contains(name) else { return }
        let out = try admin(["team", "add", "--name", name, "--json"])
        guard out.succeeded || out.stdout.contains("\"team_exists\"") else {
            throw WorldError("team add failed: \(out.stderr)\(out.stdout)")
        }
        teams.insert(name)
    }

    /// A one-time code for a new device of `user`; `options` go to `admin device enrol` (its
    /// offline limits, say).
    func enrolmentCode(for user: String, options: [String] = []) throws -> String {
        let out = try admin(["device", "enrol", "--user", user, "--json"] + options)
        struct Ticket: Decodable { let code: String }
        guard out.succeeded, let ticket = try? JSONDecoder().decode(Ticket.self, from: Data(out.stdout.utf8)) else {
            throw WorldError("device enrol failed: \(out.stderr)\(out.stdout)")
        }
        return ticket.code
    }

    func allocate(_ youngPerson: UUID, to user: String, role: String = "key") throws {
        let out = try admin(["allocate", "--young-person", youngPerson.uuidString, "--user", user, "--role", role])
        guard out.succeeded else { throw WorldError("allocate failed: \(out.stderr)\(out.stdout)") }
    }

    /// A device enrolled for `user` through the CLI, with its own local store. With `shared`, the
    /// user is allocated the world's young person. `server` is the address the device enrols
    /// with and syncs to (a proxy in front of the world's server), the server itself by default.
    func device(
        _ user: String, role: String = "PA", team: String = "north", shared: Bool = true, server: String? = nil, enrolOptions: [String] = []
    ) throws -> Device {
        let isNew = !users.contains(user)
        try addUser(user, role: role, team: team)
        if shared && isNew && ["PA", "SW", "DT"].contains(role) {
            try allocate(youngPerson, to: user, role: allocatedKey ? "co" : "key")
            allocatedKey = true
        }
        let device = Device(
            store: root.appendingPathComponent("\(user)-\(UUID().uuidString.prefix(8)).sqlite").path, keyDirectory: keyDirectory,
            youngPerson: youngPerson)
        let out = try device.run([
            "enrol", "--server", server ?? self.server.url, "--code", enrolmentCode(for: user, options: enrolOptions),
        ])
        guard out.succeeded else { throw WorldError("enrol failed: \(out.stderr)") }
        return device
    }
}

/// One `fieldsync` device: its store, and the CLI run against it.
struct Device: Sendable {
    let store: String
    /// Where the device's store key lives (kept out of the store, as on a real device).
    var keyDirectory: String
    /// The young person this device's records are about by default.
    var youngPerson: UUID
    /// Whether the CLI refuses edits the server would refuse before queueing them (its default);
    /// off for tests of the server's own checks, which need the edit to reach the server.
    var localChecks = true

    /// This device with the CLI's local rule checks off (`FIELDSYNC_LOCAL_CHECKS=off`), so an edit
    /// the server must refuse is queued and sent.
    var uncheckedLocally: Device {
        var device = self
        device.localChecks = false
        return device
    }

    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CommandOutput {
        try ProcessRunner.run(
            Binaries.client, arguments + ["--store", store], stdin: stdin,
            environment: environment.merging(
                ["FIELDSYNC_KEY_DIR": keyDirectory].merging(localChecks ? [:] : ["FIELDSYNC_LOCAL_CHECKS": "off"]) { $1 }
            ) {
                $1
            })
    }

    /// Starts a command against the store and returns at once (`fieldsync watch`).
    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RunningCommand {
        try ProcessRunner.start(
            Binaries.client, arguments + ["--store", store], environment: environment.merging(["FIELDSYNC_KEY_DIR": keyDirectory]) { $1 })
    }

    /// Runs a command with --json and decodes its output; fails the test's throw if it exited non-zero.
    func json<T: Decodable>(_ type: T.Type, _ arguments: [String], stdin: String? = nil) throws -> T {
        let out = try run(arguments + ["--json"], stdin: stdin)
        guard out.succeeded else {
            throw WorldError("fieldsync \(arguments.joined(separator: " ")) failed (\(out.status)): \(out.stdout)\(out.stderr)")
        }
        do { return try JSONDecoder().decode(T.self, from: Data(out.stdout.utf8)) } catch {
            throw WorldError("could not decode \(T.self) from: \(out.stdout)")
        }
    }

    func newVisit(youngPerson: UUID? = nil, _ fields: [String] = []) throws -> UUID {
        let record = try json(
            LocalRecordView.self, ["visit", "new", "--young-person", (youngPerson ?? self.youngPerson).uuidString] + fields)
        return record.snapshot.id
    }

    /// Runs `sync --json` and reads its report; a sync that could not reach the server (exit 75)
    /// or found the device revoked and wiped it (exit 77) reports too, and is returned.
    @discardableResult
    func sync(environment: [String: String] = [:]) throws -> SyncReportView {
        let out = try run(["sync", "--json"], environment: environment)
        guard [0, 75, 77].contains(out.status) else {
            throw WorldError("fieldsync sync failed (\(out.status)): \(out.stdout)\(out.stderr)")
        }
        let report: SyncReportView
        do { report = try JSONDecoder().decode(SyncReportView.self, from: Data(out.stdout.utf8)) } catch {
            throw WorldError("could not decode the sync report from: \(out.stdout)")
        }
        let expected: Int32 = report.wiped ? 77 : report.reachable ? 0 : 75
        guard out.status == expected else {
            throw WorldError("sync exited \(out.status) for a report that means \(expected): \(out.stdout)")
        }
        return report
    }

    func show(_ id: UUID) throws -> RecordSnapshot { try json(LocalRecordView.self, ["show", id.uuidString]).snapshot }

    func list() throws -> [LocalRecordView] { try json([LocalRecordView].self, ["list"]) }

    func status() throws -> StatusView { try json(StatusView.self, ["status"]) }
}

/// The CLI's JSON shapes, as a device app's test would read them.
struct LocalRecordView: Decodable {
    let snapshot: RecordSnapshot
    let pending: Bool
}

struct SyncReportView: Decodable {
    let reachable: Bool
    let message: String?
    let sent: Int
    let applied: Int
    let merged: Int
    let conflicted: Int
    let refused: Int
    let received: Int
    let removed: Int
    let released: Int
    let unsent: Int
    let wiped: Bool
}

struct StatusView: Decodable {
    let unsent: Int
    let records: Int
    let openConflicts: Int
    let refusals: Int
    let cursor: String?
    let lastSync: String?
}

struct VerdictView: Decodable {
    let outcome: String
    let code: String?
    let message: String?
    let record: UUID
}
