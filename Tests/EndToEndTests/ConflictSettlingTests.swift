import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Who settles a conflict")
struct ConflictSettlingTests {
    /// The team manager's conflict queue covers the team's draft visits, addenda included: before
    /// the fix the manager's `settles` grant on addenda was never consulted (they write addenda of
    /// others' visits only once authorised, so the answer was `not_editable`).
    @Test("A team manager settles a conflict on an addendum of an adviser's draft visit")
    func managerSettlesAddendumConflict() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let bob = try world.device("bob", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let item = "0a1b2c3d-0000-4000-8000-00000000000a"
        let id = try alice.newVisit([#"addenda=[{"id":"\#(item)","text":"Started at 10:15.","addedOn":"2026-11-21"}]"#])
        try alice.sync()
        try bob.sync()
        #expect(try alice.run(["set", id.uuidString, "addenda[\(item)].text=Started at 10:20."]).succeeded)
        #expect(try bob.run(["set", id.uuidString, "addenda[\(item)].text=Started at 10:25."]).succeeded)
        try alice.sync()
        #expect(try bob.sync().conflicted == 1)

        try manager.sync()
        let conflict = try #require(try manager.json([Conflict].self, ["conflicts", "--record", id.uuidString]).first)
        #expect(conflict.field.hasPrefix("addenda[") && conflict.held == .string("Started at 10:25."))
        let resolve = try manager.run(["conflict", "resolve", conflict.id.uuidString, "--keep", "held"])
        #expect(resolve.succeeded, "\(resolve.stderr)")
        let report = try manager.sync()
        let refusals = try manager.json([VerdictView].self, ["verdicts", "--rejected"]).map { $0.message ?? "" }
        #expect(report.refused == 0, "\(refusals)")

        try alice.sync()
        let visit = try alice.show(id)
        #expect(visit.conflicts.isEmpty)
        #expect(visit.fields["addenda"]?.arrayValue?.first?.objectValue?["text"] == .string("Started at 10:25."))
    }
}
