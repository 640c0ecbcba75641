import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("People see only what is theirs")
struct AccessTests {
    @Test("An adviser never receives another adviser's young people, and writes to them are refused with a kept verdict")
    func advisersAreScoped() async throws {
        let world = try TestWorld()
        let alice = try world.device("alice", shared: false)
        let bob = try world.device("bob", shared: false)
        let ypA = UUID()
        let ypB = UUID()
        try world.allocate(ypA, to: "alice")
        try world.allocate(ypB, to: "bob")
        let aliceVisit = try alice.newVisit(youngPerson: ypA, ["purpose=Alice's visit"])
        let bobVisit = try bob.newVisit(youngPerson: ypB, ["purpose=Bob's visit"])
        try alice.sync()
        try bob.sync()
        #expect(try alice.list().map(\.snapshot.id) == [aliceVisit])
        #expect(try bob.list().map(\.snapshot.id) == [bobVisit])

        // Alice writes about Bob's young person: refused, kept, and she sees why.
        _ = try alice.newVisit(youngPerson: ypB, ["purpose=Not mine"])
        let report = try alice.sync()
        #expect(report.refused == 1)
        let refusals = try alice.json([VerdictView].self, ["verdicts", "--rejected"])
        #expect(refusals.first?.code == "forbidden")
        #expect(refusals.first?.message?.contains("caseload") == true)
        #expect(try alice.list().map(\.snapshot.id) == [aliceVisit], "the refused record is gone from her view")

        // Through the wire protocol too: an update to Bob's record with Alice's token is refused.
        let wire = try await WireClient.enrolled(world, user: "alice", allocate: false)
        let answer = try await wire.push(
            ChangeSet(
                deviceSequence: 1,
                operations: [
                    .update(bobVisit, base: 1, fields: ["purpose": "Overwritten"], baseFields: ["purpose": "Bob's visit"])
                ]))
        let verdict = try JSONDecoder().decode(ChangeSetResult.self, from: answer.body).verdicts[0]
        #expect(verdict.outcome == .rejected && verdict.code == "forbidden")
        #expect(try await wire.pullAll().map(\.id).contains(bobVisit) == false)
        // Kept on the server (her verdict, the audit trail), but not in the history of Bob's record,
        // which she never worked on: nothing of an outsider's write shows in another caseload.
        let history = try bob.json(HistoryView.self, ["history", bobVisit.uuidString])
        #expect(history.rejections.isEmpty)
        let audit = try world.admin(["audit", "--user", "alice", "--json"])
        #expect(audit.stdout.contains("code=forbidden"))
        #expect(try bob.show(bobVisit).fields["purpose"] == .string("Bob's visit"))
    }

    @Test("A team manager receives the team's records; another team's manager does not; the Virtual School receives PEPs only")
    func supervisorsAndVirtualSchool() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", role: "SW", team: "north")  // a social worker starts PEPs
        let visit = try alice.newVisit(["purpose=Statutory visit"])
        let pep = try alice.json(LocalRecordView.self, ["pep", "new", "--young-person", world.youngPerson.uuidString, "term=AUTUMN"])
            .snapshot.id
        try alice.sync()
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let otherManager = try world.device("omar", role: "TM", team: "south", shared: false)
        let virtualSchool = try world.device("vera", role: "VSO", team: "virtual-school", shared: false)
        try manager.sync()
        try otherManager.sync()
        try virtualSchool.sync()
        #expect(Set(try manager.list().map(\.snapshot.id)) == [visit, pep])
        #expect(try otherManager.list().isEmpty)
        #expect(try virtualSchool.list().map(\.snapshot.id) == [pep])
        // The Virtual School may not write visit records.
        let here = try virtualSchool.run(["visit", "new", "--young-person", world.youngPerson.uuidString, "purpose=x", "--json"])
        #expect(here.status == 1 && DeviceStoreTests.error(here)?.code == "forbidden", "refused on the device first")
        _ = try virtualSchool.uncheckedLocally.newVisit(["purpose=x"])
        #expect(try virtualSchool.sync().refused == 1)
        // Device health for the team manager, not for an adviser.
        let devices = try world.admin(["device", "list", "--team", "north", "--json"])
        #expect(devices.stdout.contains("\"user\" : \"alice\"") && !devices.stdout.contains("\"user\" : \"omar\""))
    }

    @Test("Reallocation moves the young person's records to the new worker and off the old device, with nothing lost")
    func reallocation() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", shared: false)
        let bob = try world.device("bob", shared: false)
        let yp = UUID()
        try world.allocate(yp, to: "alice")
        let id = try alice.newVisit(youngPerson: yp, ["purpose=Before the move"])
        try alice.sync()
        #expect(try bob.sync().received == 0)
        #expect(try alice.run(["set", id.uuidString, "analysis=Written offline before hearing of the move"]).succeeded)

        try world.allocate(yp, to: "bob")  // bob becomes key worker; alice's allocation ends
        let gained = try bob.sync()
        #expect(gained.received == 1)
        #expect(try bob.show(id).fields["purpose"] == .string("Before the move"))

        let lost = try alice.sync()
        #expect(lost.sent == 1 && lost.refused == 1, "her unsent edit is pushed first")
        #expect(lost.removed == 1)
        #expect(try alice.list().isEmpty)
        #expect(try alice.json([VerdictView].self, ["verdicts", "--rejected"]).first?.code == "forbidden")
        let history = try bob.json(RejectionsView.self, ["history", id.uuidString])
        #expect(history.rejections.first?.operation.fields?["analysis"] == .string("Written offline before hearing of the move"))
        // Moving back: alice's device receives it again.
        try world.allocate(yp, to: "alice")
        #expect(try alice.sync().received == 1)
        #expect(try bob.sync().removed == 1)
    }

    @Test("A revoked device is refused at once, told to wipe, and erases its store; retire does it in good order")
    func revocationAndRetire() async throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        _ = try alice.newVisit(["purpose=On a lost laptop"])
        try alice.sync()
        let deviceId = try #require(try alice.json(StatusWithDevice.self, ["status"]).device)
        #expect(try world.admin(["device", "revoke", "--device", deviceId]).succeeded)
        let report = try alice.sync()
        #expect(report.wiped)
        #expect(try FileManager.default.contentsOfDirectory(atPath: world.keyDirectory).count == 1, "alice's key destroyed, bob's kept")
        let status = try alice.json(StatusWithDevice.self, ["status"])
        #expect(status.device == nil && status.records == 0)
        let audit = try world.admin(["audit", "--json"]).stdout
        #expect(audit.contains("\"action\" : \"DEVICE_REVOKED\"") && audit.contains("\"action\" : \"REMOTE_WIPE\""))

        // Retire: everything is sent first, then the device is revoked and erased.
        let id = try bob.newVisit(["purpose=Handed back"])
        let retire = try bob.run(["retire", "--yes"])
        #expect(retire.succeeded, "\(retire.stderr)")
        let carol = try world.device("carol")
        try carol.sync()
        #expect(try carol.show(id).fields["purpose"] == .string("Handed back"))
        #expect(try bob.json(StatusWithDevice.self, ["status"]).device == nil)
    }

    @Test("Forged, expired and revoked tokens are refused with their own codes")
    func tokens() async throws {
        let world = try TestWorld()
        try world.addUser("alice")
        let code = try world.admin(["device", "enrol", "--user", "alice", "--token-lifetime-seconds", "1", "--json"]).stdout
        let ticket = try JSONDecoder().decode([String: String].self, from: Data(code.utf8))
        var wire = WireClient(server: world.server.url)
        let enrolled = try await wire.send("POST", "/v1/enrol", body: try JSONEncoder().encode(EnrolmentRequest(code: ticket["code"]!)))
        wire.token = try JSONDecoder().decode(EnrolmentResponse.self, from: enrolled.body).token
        let reused = try await WireClient(server: world.server.url).send(
            "POST", "/v1/enrol", body: try JSONEncoder().encode(EnrolmentRequest(code: ticket["code"]!)))
        #expect(reused.status == 401 && reused.error?.code == "bad_enrolment_code", "a code works once")
        usleep(1_500_000)
        let expired = try await wire.send("GET", "/v1/changes")
        #expect(expired.status == 401 && expired.error?.code == "token_expired")

        let fresh = try await WireClient.enrolled(world, user: "bob")
        #expect(try await fresh.send("GET", "/v1/changes").status == 200)
        let devices = try JSONDecoder().decode([DeviceRow].self, from: Data(try world.admin(["device", "list", "--json"]).stdout.utf8))
        let bobDevice = try #require(devices.first { $0.user == "bob" && $0.state == "enrolled" })
        #expect(bobDevice.lastSeenAt != nil && bobDevice.protocolVersion == 1)
        try world.admin(["device", "revoke", "--device", bobDevice.id])
        let revoked = try await fresh.send("GET", "/v1/changes")
        #expect(revoked.status == 403 && revoked.error?.code == "device_revoked" && revoked.error?.wipe == true)
        var forged = fresh
        forged.token = String(fresh.token!.reversed())
        #expect(try await forged.send("GET", "/v1/changes").error?.code == "unauthenticated")
    }

    @Test("The audit trail records writes, pulls and admin actions, and --verify detects an edited row")
    func auditTrail() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Audited"])
        try alice.sync()
        let entries = try JSONDecoder().decode(
            [AuditRow].self, from: Data(try world.admin(["audit", "--user", "alice", "--json"]).stdout.utf8))
        #expect(entries.contains { $0.action == "CREATE" && $0.youngPerson == world.youngPerson.uuidString.lowercased() })
        #expect(entries.contains { $0.action == "SYNC_DOWNLOAD" })
        let byYoungPerson = try world.admin(["audit", "--young-person", world.youngPerson.uuidString]).stdout
        #expect(byYoungPerson.contains("ACCESS_GRANTED") && byYoungPerson.contains("CREATE"))
        let intact = try world.admin(["audit", "--verify"])
        #expect(intact.succeeded && intact.stdout.contains("intact"))

        // Someone with the database file edits a row behind the triggers' back.
        let db = world.server.dataDirectory + "/fieldsync.sqlite"
        let tamper = try ProcessRunner.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1])
                c.execute("DROP TRIGGER audit_log_no_update")
                c.execute("UPDATE audit_log SET actor = 'someone-else' WHERE action = 'CREATE'")
                c.commit()
                """, db,
            ])
        #expect(tamper.succeeded, "\(tamper.stderr)")
        let broken = try world.admin(["audit", "--verify"])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("altered"))
    }

    @Test("The local store holds record contents as ciphertext; without its key it cannot be read")
    func encryptedStore() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let secret = "Disclosed something that must stay confidential"
        let id = try alice.newVisit(["childViews=\(secret)"])
        try alice.sync()
        #expect(try alice.show(id).fields["childViews"] == .string(secret))
        for suffix in ["", "-wal"] {
            if let bytes = FileManager.default.contents(atPath: alice.store + suffix) {
                #expect(bytes.range(of: Data("must stay confidential".utf8)) == nil, "plaintext found in the store\(suffix)")
            }
        }
        // A copy of the store on another machine (without the key) cannot be opened.
        let copy = world.root.appendingPathComponent("copied.sqlite").path
        try FileManager.default.copyItem(atPath: alice.store, toPath: copy)
        if FileManager.default.fileExists(atPath: alice.store + "-wal") {
            try FileManager.default.copyItem(atPath: alice.store + "-wal", toPath: copy + "-wal")
        }
        let thief = Device(store: copy, keyDirectory: world.root.appendingPathComponent("other-keys").path, youngPerson: world.youngPerson)
        let attempt = try thief.run(["show", id.uuidString])
        #expect(attempt.status == 1)
        // No key for it there: refused as a store whose key is missing (a new key is never made for it).
        #expect(attempt.stderr.contains("store_key_missing"))
    }
}

struct StatusWithDevice: Decodable {
    let device: String?
    let records: Int
}

struct DeviceRow: Decodable {
    let id: String
    let user: String
    let state: String
    let lastSeenAt: String?
    let protocolVersion: Int?
}

struct AuditRow: Decodable {
    let action: String
    let actor: String
    let youngPerson: String?
}

struct RejectionsView: Decodable {
    struct Rejection: Decodable {
        let code: String
        let operation: ChangeOperation
    }
    let rejections: [Rejection]
}
