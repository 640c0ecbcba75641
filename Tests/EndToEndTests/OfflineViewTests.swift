import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 15 item 2: every `show`, `list`, `history` and `export` on a device is logged there and
/// reaches the server's audit trail on the next sync as the device's own entries, in order,
/// exactly once, through a lost answer too; the lost-device manifest lists them.
@Suite("Views made on the device reach the audit trail")
struct OfflineViewTests {
    struct Entry: Decodable {
        let id: Int64
        let at: String
        let actor: String
        let device: String?
        let action: String
        let record: String?
        let youngPerson: String?
        let detail: String
        let offline: Bool?
        let deviceAt: String?
    }

    static func audit(_ world: TestWorld, _ query: [String]) throws -> [Entry] {
        let out = try world.admin(["audit", "--json"] + query)
        guard out.succeeded else { throw WorldError("admin audit failed: \(out.stderr)\(out.stdout)") }
        return try JSONDecoder().decode([Entry].self, from: Data(out.stdout.utf8))
    }

    static func views(_ world: TestWorld, user: String) throws -> [Entry] {
        try audit(world, ["--user", user]).filter { $0.action == "OFFLINE_VIEW" }
    }

    static func expectIntact(_ world: TestWorld, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let out = try world.admin(["audit", "--verify"])
        #expect(out.succeeded && out.stdout.contains("intact"), "\(out.stdout)\(out.stderr)", sourceLocation: sourceLocation)
    }

    @Test("A show made with the server down is in admin audit --user after the next sync, once; a lost answer does not repeat it")
    func showWhileOffline() throws {
        let world = try TestWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let alice = try world.device("alice", server: proxy.url)
        let id = try alice.newVisit(["purpose=Read on the train"])
        try alice.sync()
        #expect(try Self.views(world, user: "alice").isEmpty, "an edit and a sync are not views")

        let port = world.server.port
        world.server.stop()
        let shown = try alice.run(["show", id.uuidString])
        #expect(shown.succeeded && shown.stdout.contains("Read on the train"), "\(shown.stderr)")
        let offline = try alice.sync()
        #expect(!offline.reachable)
        try world.server.start(port: port)

        let synced = try alice.run(["sync", "--json"])
        #expect(synced.succeeded, "\(synced.stderr)")
        let report = try JSONDecoder().decode(ViewSyncReport.self, from: Data(synced.stdout.utf8))
        #expect(report.viewsUploaded == 1 && report.viewsUnsent == 0)
        try alice.sync()
        var views = try Self.views(world, user: "alice")
        #expect(views.count == 1, "exactly once after two syncs: \(views.map(\.detail))")
        let view = try #require(views.first)
        #expect(view.record == id.uuidString.lowercased() && view.youngPerson == world.youngPerson.uuidString.lowercased())
        #expect(view.offline == true && view.deviceAt != nil && view.detail.hasPrefix("view=show seq=1 "))
        #expect(view.deviceAt! < view.at, "made on the device before the server received it")
        let deviceId = try #require(try alice.json(StatusWithDevice.self, ["status"]).device)
        #expect(view.device == deviceId.lowercased())

        // The upload's answer is lost: the server stored the view, the device did not hear.
        #expect(try alice.run(["show", String(id.uuidString.prefix(8))]).succeeded)
        proxy.fault = .cutAnswer(after: 0)
        let cut = try alice.run(["sync"], environment: ["FIELDSYNC_TIMEOUT": "2"])
        #expect(cut.status == 75, "\(cut.stderr)")
        proxy.fault = .none
        #expect(try Self.views(world, user: "alice").count == 2, "stored though the answer was lost")
        let resent = try alice.json(ViewSyncReport.self, ["sync"])
        #expect(resent.viewsUploaded == 1 && resent.viewsUnsent == 0, "the repeat is answered, and the device lets the entry go")
        views = try Self.views(world, user: "alice")
        #expect(views.map { $0.detail.split(separator: " ").first(where: { $0.hasPrefix("seq=") }) } == ["seq=1", "seq=2"])
        try Self.expectIntact(world)

        let text = try world.admin(["audit", "--user", "alice"])
        #expect(text.stdout.contains("OFFLINE_VIEW") && text.stdout.contains("a view on the device, uploaded later"))
        #expect(try Self.audit(world, ["--young-person", world.youngPerson.uuidString]).filter { $0.action == "OFFLINE_VIEW" }.count == 2)
    }

    @Test("list, history and export are logged with the records they returned; edits are not views; the manifest lists them")
    func listHistoryExport() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let authorised = try alice.newVisit(ReviewTests.completeVisit)
        #expect(try alice.run(["transition", authorised.uuidString, "COMPLETED"]).succeeded)
        #expect(try alice.run(["transition", authorised.uuidString, "SUBMITTED"]).succeeded)
        let draft = try alice.newVisit(["purpose=Still writing"])
        try alice.sync()
        try manager.sync()
        #expect(try manager.run(["transition", authorised.uuidString, "AUTHORISED"]).succeeded)
        try manager.sync()
        #expect(try alice.run(["set", draft.uuidString, "analysis=An edit, not a view"]).succeeded)
        try alice.sync()
        #expect(try Self.views(world, user: "maria").isEmpty && Self.views(world, user: "alice").isEmpty)

        #expect(try manager.list().count == 2)
        #expect(try manager.run(["history", authorised.uuidString]).succeeded)
        let out = world.root.appendingPathComponent("export.csv").path
        #expect(try manager.run(["export", "--reconciled", "--format", "csv", "--out", out]).succeeded)
        let report = try manager.json(ViewSyncReport.self, ["sync"])
        #expect(report.viewsUploaded == 3)

        let views = try Self.views(world, user: "maria")
        #expect(views.map { OfflineViewTests.kind($0.detail) } == ["list", "history", "export"], "\(views.map(\.detail))")
        let ids = Set([authorised, draft].map { $0.uuidString.lowercased() })
        #expect(Set(Self.records(views[0].detail)) == ids && views[0].record == nil, "a list names every record it returned")
        #expect(views[1].record == authorised.uuidString.lowercased())
        #expect(Self.records(views[2].detail) == [authorised.uuidString.lowercased()] && views[2].detail.contains("to=file"))
        #expect(views.allSatisfy { $0.youngPerson == world.youngPerson.uuidString.lowercased() && $0.offline == true })
        // What did maria look at, on or off line: her device's views and her reads on the server, not her writes or pulls.
        let lookedAt = try Self.audit(world, ["--user", "maria", "--views"])
        #expect(
            lookedAt.map(\.action) == ["HISTORY_READ", "EXPORT_STARTED", "EXPORT", "OFFLINE_VIEW", "OFFLINE_VIEW", "OFFLINE_VIEW"],
            "\(lookedAt.map(\.action))")
        let both = try world.admin(["audit", "--views", "--verify"])
        #expect(!both.succeeded && both.stderr.contains("give one of them"), "a usage error: \(both.stderr)")
        try Self.expectIntact(world)

        let deviceId = try #require(try manager.json(StatusWithDevice.self, ["status"]).device)
        let manifest = try world.admin(["device", "manifest", "--device", deviceId, "--json"])
        struct Manifest: Decodable {
            struct View: Decodable {
                let view: String
                let deviceAt: String
                let records: [String]
                let youngPerson: String?
                let destination: String?
            }
            let offlineViews: [View]
        }
        let listed = try JSONDecoder().decode(Manifest.self, from: Data(manifest.stdout.utf8)).offlineViews
        #expect(listed.map(\.view) == ["list", "history", "export"] && listed[2].destination == "file")
        #expect(listed[1].records == [authorised.uuidString.lowercased()])
        let text = try world.admin(["device", "manifest", "--device", deviceId])
        #expect(text.stdout.contains("Views its user made on it, uploaded: 3"), "\(text.stdout)")
    }

    @Test(
        "An upload is bounded and checked: bad input is refused with a code and stores nothing; a repeat stores nothing twice; a revoked device is refused"
    )
    func uploadRules() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let record = ViewedRecord(id: UUID(), youngPerson: world.youngPerson)
        func entry(_ sequence: Int64, records: [ViewedRecord]? = nil) -> DeviceViewEntry {
            DeviceViewEntry(sequence: sequence, at: WireTime.now(), kind: .show, records: records ?? [record])
        }
        func upload(_ entries: [DeviceViewEntry]) async throws -> WireClient.Answer {
            try await wire.send("POST", "/v1/device/views", body: try WireProtocol.makeEncoder().encode(DeviceViewUpload(views: entries)))
        }
        let refusals: [([DeviceViewEntry], String)] = [
            ([], "invalid_value"),
            ([entry(2), entry(1)], "invalid_value"),
            ([entry(0)], "sequence_out_of_range"),
            ([entry(1, records: [])], "invalid_value"),
            ([entry(1, records: Array(repeating: record, count: DeviceViews.maxRecordsPerView + 1))], "invalid_value"),
            ((1...Int64(DeviceViews.maxEntriesPerUpload + 1)).map { entry($0) }, "invalid_value"),
            (
                (1...Int64(DeviceViews.maxRecordsPerUpload / DeviceViews.maxRecordsPerView + 1)).map {
                    entry($0, records: Array(repeating: record, count: DeviceViews.maxRecordsPerView))
                }, "invalid_value"
            ),
            ([DeviceViewEntry(sequence: 1, at: "yesterday", kind: .list, records: [record])], "invalid_value"),
            ([DeviceViewEntry(sequence: 1, at: WireTime.now(), kind: .export, records: [record], destination: "usb")], "invalid_value"),
        ]
        for (entries, code) in refusals {
            let answer = try await upload(entries)
            #expect(answer.status == 400 && answer.error?.code == code, "\(entries.count) entries: \(answer.text)")
            #expect(answer.error?.message.isEmpty == false)
        }
        let unknownKind = try await wire.send(
            "POST", "/v1/device/views",
            body: Data(#"{"views":[{"sequence":1,"at":"2026-12-01T10:00:00.000Z","kind":"print","records":[]}]}"#.utf8))
        #expect(unknownKind.status == 400, "\(unknownKind.text)")
        #expect(try Self.views(world, user: "alice").isEmpty, "nothing of a refused upload is stored")

        func storedThrough(_ answer: WireClient.Answer) -> Int64? {
            (try? JSONDecoder().decode(DeviceViewReceipt.self, from: answer.body))?.storedThrough
        }
        let first = try await upload([entry(1), entry(2)])
        #expect(first.status == 200 && storedThrough(first) == 2)
        #expect(storedThrough(try await upload([entry(1), entry(2), entry(3)])) == 3)
        #expect(try Self.views(world, user: "alice").count == 3, "1 and 2 once each, then 3")
        #expect(storedThrough(try await upload([entry(7)])) == 7)
        #expect(try Self.views(world, user: "alice").last?.detail.contains("missing=4-6") == true, "a gap is said, not hidden")
        try Self.expectIntact(world)

        let devices = try world.admin(["device", "list", "--json"])
        struct Listed: Decodable { let id: String }
        let id = try #require(try JSONDecoder().decode([Listed].self, from: Data(devices.stdout.utf8)).first?.id)
        #expect(try world.admin(["device", "revoke", "--device", id]).succeeded)
        let revoked = try await upload([entry(8)])
        #expect(revoked.status == 403 && revoked.error?.code == "device_revoked", "\(revoked.text)")
        #expect(try Self.views(world, user: "alice").count == 4)
    }

    @Test("The view log is sealed on the device, and a revoked device's sync erases it with the rest of the store")
    func sealedAndWiped() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=Shown, then the device is lost"])
        try alice.sync()
        #expect(try alice.run(["show", id.uuidString]).succeeded)
        // Rows of the log: how many, and whether any holds the record or young person id in plaintext.
        let inspect = """
            import sqlite3, sys
            rows = sqlite3.connect(sys.argv[1]).execute('SELECT body FROM view_log').fetchall()
            plain = any(i.encode() in bytes(b) for (b,) in rows for i in sys.argv[2:])
            print(len(rows), plain)
            """
        let ids = [id, world.youngPerson].flatMap { [$0.uuidString, $0.uuidString.lowercased()] }
        #expect(try DeviceStoreTests.python(inspect, [alice.store] + ids).trimmingCharacters(in: .whitespacesAndNewlines) == "1 False")
        let deviceId = try #require(try alice.json(StatusWithDevice.self, ["status"]).device)
        #expect(try world.admin(["device", "revoke", "--device", deviceId]).succeeded)
        #expect(try alice.sync().wiped)
        #expect(try Self.views(world, user: "alice").isEmpty, "the revoked device's upload was refused")
        #expect(try DeviceStoreTests.python(inspect, [alice.store]).trimmingCharacters(in: .whitespacesAndNewlines) == "0 False")
    }

    @Test("A view log the server will not take is kept and said, the sync goes on, and retire refuses rather than erase it")
    func refusedLogIsKept() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let id = try alice.newVisit(["purpose=Shown from a damaged view counter"])
        try alice.sync()
        // The store's view counter pushed far past anything the server stored: the upload is refused.
        _ = try DeviceStoreTests.python(
            "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(\"INSERT OR REPLACE INTO settings(key, value) VALUES ('next_view_sequence', '5000000')\")\nc.commit()",
            [alice.store])
        #expect(try alice.run(["show", id.uuidString]).succeeded)
        let later = try bob.newVisit(["purpose=Pulled all the same"])
        try bob.sync()

        let out = try alice.run(["sync", "--json"])
        #expect(out.succeeded, "the sync itself goes on: \(out.stderr)")
        struct Report: Decodable {
            let received: Int
            let viewsUnsent: Int
            let viewsMessage: String?
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(out.stdout.utf8))
        #expect(report.received == 1 && report.viewsUnsent == 1, "\(out.stdout)")
        #expect(report.viewsMessage?.contains("sequence_out_of_range") == true && report.viewsMessage?.contains("kept") == true)
        #expect(try alice.show(later).id == later)
        #expect(try Self.views(world, user: "alice").isEmpty)

        let retire = try alice.run(["retire", "--yes", "--json"])
        #expect(!retire.succeeded && retire.stdout.contains("unsent_views"), "\(retire.stdout)\(retire.stderr)")
        #expect(try alice.status().records == 2, "nothing erased")
    }

    static func kind(_ detail: String) -> String {
        String(detail.split(separator: " ").first { $0.hasPrefix("view=") }?.dropFirst(5) ?? "")
    }

    static func records(_ detail: String) -> [String] {
        guard let word = detail.split(separator: " ").first(where: { $0.hasPrefix("records=") }) else { return [] }
        return word.dropFirst(8).split(separator: ",").map(String.init)
    }
}

struct ViewSyncReport: Decodable {
    let viewsUploaded: Int
    let viewsUnsent: Int
}
