import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 15 items 1, 3 and 6: what an idle or lost device may still reveal. The offline lease
/// (past it no case content is shown, but edits and syncs go on), the erase limit (past it all
/// but the outbox is erased and its key replaced), retention (authorised records leave the device
/// and come back on demand) and a store that names no young person without its key. Each limit
/// is set per device at enrolment in seconds (`admin device enrol --offline-lease-seconds`), so
/// the tests wait seconds, not days.
@Suite("Offline limits: lease, erase, retention, sealed ids")
struct OfflineLimitsTests {
    static func error(_ out: CommandOutput) -> (code: String, message: String)? { DeviceStoreTests.error(out) }

    /// Waits until `seconds` have passed since `start`, so a limit counted from a sync has run out.
    static func wait(_ seconds: Double, since start: Date) {
        let left = seconds - Date().timeIntervalSince(start)
        if left > 0 { Thread.sleep(forTimeInterval: left) }
    }

    static func count(_ table: String, in store: String) throws -> Int {
        let out = try DeviceStoreTests.python(
            "import sqlite3, sys\nprint(sqlite3.connect(sys.argv[1]).execute(f\"SELECT count(*) FROM {sys.argv[2]}\").fetchone()[0])",
            [store, table])
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    static func setting(_ key: String, in store: String) throws -> String {
        try DeviceStoreTests.python(
            "import sqlite3, sys\nr = sqlite3.connect(sys.argv[1]).execute(\"SELECT value FROM settings WHERE key = ?\", (sys.argv[2],)).fetchone()\nprint(r[0] if r else '')",
            [store, key]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Past a short lease the device refuses show, list and export, keeps and sends an edit, then works again")
    func leaseLocksCaseContent() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", enrolOptions: ["--offline-lease-seconds", "3"])
        let id = try alice.newVisit(["purpose=Before the lease ran out"])
        #expect(try alice.sync().sent == 1)
        let synced = Date()
        #expect(try alice.show(id).fields["purpose"] == .string("Before the lease ran out"), "within the lease")
        struct Offline: Decodable {
            let locked: Bool
            let leaseSecondsLeft: Int?
        }
        struct Status: Decodable { let offline: Offline }
        let early = try alice.json(Status.self, ["status"]).offline
        #expect(!early.locked && (1...3).contains(early.leaseSecondsLeft ?? 0), "\(early)")

        Self.wait(3.5, since: synced)
        for command in [
            ["show", id.uuidString], ["list"], ["conflicts"], ["verdicts"],
            ["export", "--reconciled", "--out", world.root.path + "/x.ndjson"],
        ] {
            let refused = try alice.run(command + ["--json"])
            #expect(refused.status == 1, "\(command): \(refused.stdout)")
            #expect(Self.error(refused)?.code == "offline_lease_expired", "\(command): \(refused.stdout)")
        }
        let message = try #require(Self.error(try alice.run(["show", id.uuidString, "--json"]))).message
        #expect(message.contains("fieldsync sync") && message.contains("last synced"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: world.root.path + "/x.ndjson"))
        #expect(try alice.json(Status.self, ["status"]).offline.locked)

        // Editing goes on, and what it prints is not the record.
        let edit = try alice.run(["set", id.uuidString, "purpose=Written past the lease", "--json"])
        #expect(edit.succeeded, "\(edit.stderr)")
        #expect(!edit.stdout.contains("Before the lease") && !edit.stdout.contains("Written past"), "\(edit.stdout)")
        #expect(try alice.sync().sent == 1, "the edit made past the lease is sent")
        #expect(try alice.show(id).fields["purpose"] == .string("Written past the lease"), "a sync renews the lease")
    }

    @Test("Past the erase limit the device erases all but its outbox, with a new content key; the next sync brings everything back")
    func eraseKeepsOnlyTheOutbox() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", enrolOptions: ["--offline-lease-seconds", "2", "--offline-erase-seconds", "4"])
        let first = try alice.newVisit(["purpose=First visit"])
        let second = try alice.newVisit(["purpose=Second visit"])
        try alice.sync()
        let synced = Date()
        #expect(try alice.run(["set", first.uuidString, "observations=Unsent when the device went quiet"]).succeeded)
        let keyBefore = try Self.setting("content_key", in: alice.store)

        Self.wait(4.5, since: synced)
        struct Status: Decodable {
            struct Offline: Decodable { let erasedAt: String? }
            let records: Int
            let unsent: Int
            let offline: Offline
        }
        let status = try alice.json(Status.self, ["status"])
        #expect(status.records == 0 && status.unsent == 1 && status.offline.erasedAt != nil, "\(status)")
        for table in ["local_records", "server_records", "verdicts"] {
            #expect(try Self.count(table, in: alice.store) == 0, "\(table)")
        }
        #expect(try Self.count("outbox", in: alice.store) == 1)
        let keyAfter = try Self.setting("content_key", in: alice.store)
        #expect(!keyAfter.isEmpty && keyAfter != keyBefore, "the key of the erased records was replaced")
        let text = [alice.store, alice.store + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(!text.contains(keyBefore), "the old sealed key is not left in the files")

        let report = try alice.sync()
        #expect(report.sent == 1 && report.received >= 2, "\(report)")
        #expect(try alice.show(first).fields["observations"] == .string("Unsent when the device went quiet"))
        #expect(try alice.show(second).fields["purpose"] == .string("Second visit"))
    }

    @Test("An authorised visit leaves the device after a short retention, comes back on demand, audited on the server")
    func retentionReleasesAndFetches() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", enrolOptions: ["--retention-seconds", "2"])
        let manager = try world.device("maria", role: "TM", shared: false)
        let authorised = try alice.newVisit(ReviewTests.completeVisit)
        let draft = try alice.newVisit(["purpose=Still a draft"])
        #expect(try alice.run(["transition", authorised.uuidString, "COMPLETED"]).succeeded)
        #expect(try alice.run(["transition", authorised.uuidString, "SUBMITTED"]).succeeded)
        try alice.sync()
        try manager.sync()
        #expect(try manager.run(["transition", authorised.uuidString, "AUTHORISED"]).succeeded)
        #expect(try manager.sync().refused == 0)
        let authorisedAt = Date()
        #expect(try alice.sync().released == 0, "not yet past retention")
        #expect(try alice.show(authorised).state == "AUTHORISED")

        Self.wait(2.5, since: authorisedAt)
        #expect(try alice.sync().released == 1)
        #expect(try alice.list().map(\.snapshot.id) == [draft], "the draft stays; the authorised visit left")
        let listText = try alice.run(["list"])
        #expect(listText.stdout.contains(authorised.uuidString.lowercased()) && listText.stdout.contains("left this device"))
        struct Status: Decodable { let onServerOnly: Int }
        #expect(try alice.json(Status.self, ["status"]).onServerOnly == 1)

        // On demand, by a prefix of its id: fetched, audited, held again.
        let fetched = try alice.json(LocalRecordView.self, ["show", String(authorised.uuidString.lowercased().prefix(8))])
        #expect(fetched.snapshot.id == authorised && fetched.snapshot.state == "AUTHORISED")
        #expect(Set(try alice.list().map(\.snapshot.id)) == [authorised, draft])
        #expect(try alice.sync().released == 0, "a record fetched on demand stays a day")
        let audit = try world.admin(["audit", "--user", "alice", "--json"])
        #expect(audit.succeeded && audit.stdout.contains("RECORD_READ") && audit.stdout.contains(authorised.uuidString.lowercased()))
        // Another user's record is not fetched: the server answers as if it did not exist.
        let bob = try world.device("bob", shared: false)
        let missing = try bob.run(["show", authorised.uuidString, "--json"])
        #expect(missing.status == 1 && Self.error(missing)?.code == "record_not_found")
    }

    @Test("A copied store without its key names no young person and shows no refusal message")
    func storeNamesNoYoungPerson() throws {
        let world = try TestWorld()
        let alice = try world.device("alice").uncheckedLocally  // to get a refusal from the server
        let other = UUID()
        try world.allocate(other, to: "alice")
        let mine = try alice.newVisit(["purpose=Home visit"])
        _ = try alice.newVisit(youngPerson: other, ["purpose=School visit"])
        try alice.sync()
        #expect(try alice.run(["set", mine.uuidString, "managerNote=Not an adviser's to write"]).succeeded)
        #expect(try alice.sync().refused == 1)
        let message = try #require(try alice.json([VerdictView].self, ["verdicts", "--rejected"]).first?.message)
        #expect(try alice.run(["set", mine.uuidString, "observations=Unsent at the copy"]).succeeded)

        let files = [alice.store, alice.store + "-wal", alice.store + "-shm"]
        let bytes = files.compactMap { FileManager.default.contents(atPath: $0) }
        #expect(!bytes.isEmpty)
        let text = bytes.map { String(decoding: $0, as: UTF8.self) }.joined()
        for youngPerson in [world.youngPerson, other] {
            #expect(!text.contains(youngPerson.uuidString.lowercased()) && !text.contains(youngPerson.uuidString.uppercased()))
        }
        #expect(!text.contains(message) && !text.contains(String(message.prefix(40))), "the refusal message is sealed")
        #expect(!text.contains("DRAFT"), "no plain state")
        #expect(try alice.show(mine).fields["observations"] == .string("Unsent at the copy"), "with its key the store reads")
    }

    @Test("Bad offline limits at enrolment are refused with a sentence and change nothing")
    func badLimitsAreRefused() throws {
        let world = try TestWorld()
        try world.addUser("alice")
        for options in [
            ["--offline-lease-seconds", "0"], ["--offline-lease-days", "400"], ["--retention-days", "-1"],
            ["--offline-lease-days", "10", "--offline-erase-days", "5"], ["--offline-lease-days", "3", "--offline-lease-seconds", "9"],
        ] {
            let out = try world.admin(["device", "enrol", "--user", "alice"] + options)
            #expect(!out.succeeded && !(out.stderr + out.stdout).isEmpty, "\(options)")
        }
        let list = try world.admin(["device", "list", "--json"])
        #expect(list.succeeded && list.stdout.filter { !$0.isWhitespace } == "[]", "\(list.stdout)")
        let serve = try ProcessRunner.run(
            Binaries.server, ["serve", "--data", world.root.path + "/other", "--offline-lease-days", "20", "--offline-erase-days", "10"])
        #expect(serve.status == 64 && serve.stderr.contains("offline-erase-days"), "\(serve.stderr)")
    }
}
