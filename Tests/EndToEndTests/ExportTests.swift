import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Reconciled export, escalations and the team's conflict queue")
struct ExportTests {
    struct ExportJSON: Decodable {
        struct Pending: Decodable {
            let id: String
            let reason: String
        }
        let records: [RecordSnapshot]
        let notReconciled: [Pending]
        let cursor: String
    }

    func submitted(_ device: Device, _ extra: [String] = []) throws -> UUID {
        let id = try device.newVisit(ReviewTests.completeVisit + extra)
        #expect(try device.run(["transition", id.uuidString, "COMPLETED"]).succeeded)
        #expect(try device.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        return id
    }

    @Test("The export holds exactly the settled records in scope; a second export with the cursor holds only what changed; CSV round-trips")
    func reconciledExport() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let south = try world.device("sid", team: "south", shared: false)
        let southYP = UUID()
        try world.allocate(southYP, to: "sid")
        let tricky = "She said: \"I like it here, mostly\".\nSecond line, with a comma."
        let authorised = try submitted(alice, ["childViews=\(tricky)"])
        let awaiting = try submitted(alice)
        let draft = try alice.newVisit(["purpose=Still writing"])
        let elsewhere = try south.newVisit(youngPerson: southYP, ReviewTests.completeVisit)
        try alice.sync()
        try south.sync()
        try manager.sync()
        #expect(try manager.run(["transition", authorised.uuidString, "AUTHORISED"]).succeeded)
        try manager.sync()

        let out = world.root.appendingPathComponent("export.json").path
        let first = try manager.run(["export", "--reconciled", "--format", "json", "--out", out])
        #expect(first.succeeded, "\(first.stderr)")
        let exported = try JSONDecoder().decode(ExportJSON.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        #expect(exported.records.map(\.id) == [authorised])
        #expect(exported.records.first?.fields["childViews"] == .string(tricky))
        let reasons = Dictionary(uniqueKeysWithValues: exported.notReconciled.map { ($0.id, $0.reason) })
        #expect(reasons[awaiting.uuidString.lowercased()] == "awaiting authorisation")
        #expect(reasons[draft.uuidString.lowercased()]?.hasPrefix("not yet submitted") == true)
        #expect(reasons[elsewhere.uuidString.lowercased()] == nil, "nothing out of scope")

        // Only what changed since: the awaiting visit, once authorised.
        let empty = try manager.run(["export", "--reconciled", "--since", exported.cursor, "--format", "json", "--out", out])
        #expect(empty.succeeded)
        #expect(try JSONDecoder().decode(ExportJSON.self, from: Data(contentsOf: URL(fileURLWithPath: out))).records.isEmpty)
        #expect(try manager.run(["transition", awaiting.uuidString, "AUTHORISED"]).succeeded)
        try manager.sync()
        #expect(try manager.run(["export", "--reconciled", "--since", exported.cursor, "--format", "json", "--out", out]).succeeded)
        #expect(
            try JSONDecoder().decode(ExportJSON.self, from: Data(contentsOf: URL(fileURLWithPath: out))).records.map(\.id) == [awaiting])

        // CSV, read back with Python's csv module (spreadsheet-safety: SpreadsheetExportTests).
        let csv = world.root.appendingPathComponent("export.csv").path
        #expect(try manager.run(["export", "--reconciled", "--format", "csv", "--out", csv]).succeeded)
        let rows = try SpreadsheetExportTests.readCSV(csv)
        #expect(rows.count == 2)
        let row = try #require(rows.first { $0["id"] == authorised.uuidString.lowercased() })
        #expect(row["childViews"] == tricky)
        #expect(row["state"] == "AUTHORISED")
        #expect(row["childSeen"] == "true")
        #expect(row["recordKind"] == "visit")
        #expect(row["kind"] == "CLA_STATUTORY")
    }

    @Test("An escalated risk flag reaches the team manager; the team's conflicts form a queue only a manager asks for")
    func escalationsAndConflictQueue() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let bob = try world.device("bob", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let id = try alice.newVisit([
            #"riskFlags=[{"id":"6c1a8a56-0000-4000-8000-000000000001","flag":"MISSING","severity":"HIGH","escalate":true,"note":"Missing overnight"}]"#
        ])
        try alice.sync()
        try bob.sync()
        #expect(try alice.run(["set", id.uuidString, "contactMode=PHONE"]).succeeded)
        #expect(try bob.run(["set", id.uuidString, "contactMode=VIDEO"]).succeeded)
        try alice.sync()
        try bob.sync()
        try manager.sync()

        let escalations = try manager.run(["report", "escalations"])
        #expect(escalations.stdout.contains("MISSING") && escalations.stdout.contains("Missing overnight"))
        let queue = try manager.json([Conflict].self, ["conflicts", "--team"])
        #expect(queue.count == 1 && queue.first?.field == "contactMode")
        let notManager = try alice.run(["conflicts", "--team"])
        #expect(notManager.status == 1 && notManager.stderr.contains("not_a_supervisor"))
        #expect(try manager.run(["conflict", "resolve", queue[0].id.uuidString, "--keep", "held"]).succeeded)
        try manager.sync()
        try alice.sync()
        #expect(try alice.show(id).fields["contactMode"] == .string("VIDEO"))
    }
}
