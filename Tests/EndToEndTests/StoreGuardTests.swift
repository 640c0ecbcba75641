import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// One server per store, and the admin footguns: a mistyped --data, an unknown team, a device's
/// name, errors a script can read; and a store from a newer release.
@Suite("Store guards and admin footguns")
struct StoreGuardTests {
    struct DeviceName: Decodable {
        let id: String
        let name: String?
    }

    @Test(
        "A second serve on the same data folder is refused with a clear message; the first keeps serving, and the folder is free once it stops"
    )
    func secondServerIsRefused() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let second = ServerProcess(dataDirectory: world.server.dataDirectory)
        #expect(throws: (any Error).self) { try second.start() }
        #expect(second.log.contains("already serving \(world.server.dataDirectory)"), "\(second.log)")
        #expect(second.log.contains("pid \(world.server.pid)"), "names the server that holds it: \(second.log)")
        #expect(second.log.contains("[store_in_use]"), "with a code for scripts")
        _ = try alice.newVisit(["purpose=Still served"])
        #expect(try alice.sync().applied == 1, "the first server is undisturbed")

        // The lock goes with the process, however it ends.
        let port = world.server.port
        world.server.killHard()
        try second.start(port: port)
        defer { second.stop() }
        _ = try alice.newVisit(["purpose=Served by the second"])
        #expect(try alice.sync().applied == 1)
    }

    @Test("A store migrated by a newer release is refused by this one, naming both versions, and left unchanged")
    func newerStoreIsRefused() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Before the upgrade"])
        try alice.sync()
        world.server.stop()
        let database = world.server.dataDirectory + "/fieldsync.sqlite"
        // What a newer release leaves behind: a migration this build does not know, and its version.
        _ = try DeviceStoreTests.python(
            """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            c.execute("INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-the-future')")
            c.execute("INSERT INTO store_info(key, value) VALUES ('migrated_by', '9.9.0') ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            c.commit()
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            """, [database])
        let before = try Data(contentsOf: URL(fileURLWithPath: database))

        #expect(throws: (any Error).self) { try world.server.start() }
        let log = world.server.log
        #expect(log.contains("migrated by fieldsync-server 9.9.0") && log.contains("[store_too_new]"), "\(log)")
        #expect(log.contains("this is fieldsync-server \(FieldSyncVersion.current)") && log.contains("v99-from-the-future"), "\(log)")
        let admin = try world.admin(["user", "list", "--json"])
        #expect(admin.status != 0 && DeviceStoreTests.error(admin)?.code == "store_too_new", "\(admin.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before, "nothing was written to the store")
    }

    @Test(
        "Admin commands refuse a folder with no store (nothing is made); admin init makes one, once; a foreign SQLite file is refused unchanged"
    )
    func adminNeedsAStore() throws {
        let world = try TestWorld(startServer: false)
        let typo = world.root.appendingPathComponent("server-dta").path
        let refused = try ProcessRunner.run(Binaries.server, ["admin", "--data", typo, "team", "add", "--name", "north", "--json"])
        #expect(refused.status == 1 && DeviceStoreTests.error(refused)?.code == "no_store", "\(refused.stdout)")
        #expect(DeviceStoreTests.error(refused)?.message.contains("admin --data \(typo) init") == true)
        #expect(!FileManager.default.fileExists(atPath: typo), "no folder made for a mistyped --data")

        let made = try world.admin(["init"])
        #expect(made.succeeded, "\(made.stderr)")
        #expect(AuditChainTests.mode(world.server.dataDirectory) == 0o700)
        #expect(AuditChainTests.mode(world.server.dataDirectory + "/audit.key") == 0o600)
        let again = try world.admin(["init", "--json"])
        #expect(again.status == 1 && DeviceStoreTests.error(again)?.code == "store_exists")
        #expect(try world.admin(["team", "add", "--name", "north"]).succeeded, "the made store takes admin commands")
        try world.server.start()
        _ = try world.device("alice")

        let foreign = world.root.appendingPathComponent("other").path
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        _ = try DeviceStoreTests.python(
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t(x)'); c.commit()",
            [foreign + "/fieldsync.sqlite"])
        let before = try Data(contentsOf: URL(fileURLWithPath: foreign + "/fieldsync.sqlite"))
        for arguments in [["init", "--json"], ["user", "list", "--json"]] {
            let out = try ProcessRunner.run(Binaries.server, ["admin", "--data", foreign] + arguments)
            #expect(out.status == 1 && DeviceStoreTests.error(out)?.code == "not_a_store", "\(arguments): \(out.stdout)")
        }
        let server = ServerProcess(dataDirectory: foreign)
        #expect(throws: (any Error).self) { try server.start() }
        #expect(server.log.contains("not a FieldSync store"), "\(server.log)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign + "/fieldsync.sqlite")) == before)
        #expect(!FileManager.default.fileExists(atPath: foreign + "/audit.key"))
    }

    @Test("user add refuses a team that was never added, and changes nothing")
    func unknownTeamIsRefused() throws {
        let world = try TestWorld()
        try world.addTeam("north")
        let refused = try world.admin(["user", "add", "--name", "eve", "--role", "PA", "--team", "nosuchteam", "--json"])
        #expect(refused.status == 1, "\(refused.stdout)")
        let error = DeviceStoreTests.error(refused)
        #expect(error?.code == "unknown_team" && error?.message.contains("teams: north") == true, "\(refused.stdout)")
        #expect(try world.admin(["user", "list", "--json"]).stdout.contains("eve") == false)
        #expect(try world.admin(["user", "add", "--name", "eve", "--role", "PA", "--team", "north"]).succeeded)
    }

    @Test("device enrol --name is kept when the device enrols with its own name; without one the device's name is taken")
    func enrolmentNameIsKept() throws {
        let world = try TestWorld()
        try world.addUser("alice")
        let named = try world.admin(["device", "enrol", "--user", "alice", "--name", "asset-417", "--json"])
        struct Ticket: Decodable {
            let code: String
            let device: String
        }
        let ticket = try JSONDecoder().decode(Ticket.self, from: Data(named.stdout.utf8))
        let device = Device(
            store: world.root.appendingPathComponent("a.sqlite").path, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson)
        // The CLI sends the machine's hostname as the device's name.
        #expect(try device.run(["enrol", "--server", world.server.url, "--code", ticket.code]).succeeded)
        _ = try world.device("alice")
        let devices = try JSONDecoder().decode(
            [DeviceName].self, from: Data(try world.admin(["device", "list", "--json"]).stdout.utf8))
        #expect(devices.first { $0.id == ticket.device }?.name == "asset-417")
        #expect(devices.first { $0.id != ticket.device }?.name == ProcessInfo.processInfo.hostName)
    }

    @Test("Admin --json errors are one JSON document on stdout with a non-zero exit; without --json they stay sentences on stderr")
    func jsonErrors() throws {
        let world = try TestWorld()
        let cases: [(arguments: [String], code: String)] = [
            (["device", "enrol", "--user", "nobody", "--json"], "unknown_user"),
            (["--json", "user", "add", "--name", "x"], "invalid_arguments"),
            (["device", "revoke", "--device", "no-such-device", "--json"], "unknown_device"),
            (["young-person", "set", "--id", "not-a-uuid", "--cohort", "CLA", "--json"], "invalid_arguments"),
        ]
        for (arguments, code) in cases {
            let out = try world.admin(arguments)
            #expect(out.status != 0, "\(arguments)")
            let error = DeviceStoreTests.error(out)
            #expect(error?.code == code, "\(arguments): stdout \(out.stdout) stderr \(out.stderr)")
            #expect(error?.message.isEmpty == false)
            #expect(!out.stderr.contains("Error:"), "nothing on stderr to parse around: \(out.stderr)")
        }
        let text = try world.admin(["device", "enrol", "--user", "nobody"])
        #expect(text.status == 1 && text.stderr.contains("There is no user named 'nobody'") && text.stdout.isEmpty)
    }
}
