import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Two devices editing one record offline")
struct MergeEndToEndTests {
    /// Alice makes a visit and both devices get it.
    func shared(_ world: TestWorld, _ fields: [String]) throws -> (Device, Device, UUID) {
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let id = try alice.newVisit(fields)
        try alice.sync()
        try bob.sync()
        return (alice, bob, id)
    }

    /// Syncs every device until none has anything to send (bounded), then checks they all equal.
    func converge(_ devices: [Device], _ id: UUID, sourceLocation: SourceLocation = #_sourceLocation) throws -> RecordSnapshot {
        for _ in 0..<3 { for device in devices { try device.sync() } }
        let views = try devices.map { try $0.show(id) }
        for view in views.dropFirst() {
            #expect(view.fields == views[0].fields, sourceLocation: sourceLocation)
            #expect(view.state == views[0].state, sourceLocation: sourceLocation)
            #expect(view.conflicts == views[0].conflicts, sourceLocation: sourceLocation)
            #expect(view.version == views[0].version, sourceLocation: sourceLocation)
        }
        return views[0]
    }

    @Test("Concurrent edits to different fields merge without a conflict")
    func differentFieldsMerge() throws {
        let world = try TestWorld()
        let (alice, bob, id) = try shared(world, ["kind=CLA_STATUTORY"])
        #expect(try alice.run(["set", id.uuidString, "locationType=FOSTER_HOME"]).succeeded)
        #expect(try bob.run(["set", id.uuidString, "contactMode=FACE_TO_FACE", "bedroomSeen=yes"]).succeeded)
        #expect(try alice.sync().applied == 1)
        let report = try bob.sync()
        #expect(report.conflicted == 0 && report.refused == 0)
        let final = try converge([alice, bob], id)
        #expect(final.fields["locationType"] == .string("FOSTER_HOME"))
        #expect(final.fields["contactMode"] == .string("FACE_TO_FACE"))
        #expect(final.fields["bedroomSeen"] == .bool(true))
        #expect(final.conflicts.isEmpty)
    }

    @Test("Edits to different paragraphs of the child's views merge")
    func differentParagraphsMerge() throws {
        let world = try TestWorld()
        let base = "She likes her foster carers.\n\nShe finds maths hard.\n\nShe wants to see her brother more."
        let (alice, bob, id) = try shared(world, ["childViews=\(base)"])
        #expect(
            try alice.run([
                "set", id.uuidString,
                "childViews=She likes her foster carers and the dog.\n\nShe finds maths hard.\n\nShe wants to see her brother more.",
            ]).succeeded)
        #expect(
            try bob.run([
                "set", id.uuidString,
                "childViews=She likes her foster carers.\n\nShe finds maths hard.\n\nShe wants to see her brother every week.",
            ]).succeeded)
        try alice.sync()
        let report = try bob.sync()
        #expect(report.merged == 1 && report.conflicted == 0)
        let final = try converge([alice, bob], id)
        #expect(
            final.fields["childViews"]
                == .string("She likes her foster carers and the dog.\n\nShe finds maths hard.\n\nShe wants to see her brother every week."))
        #expect(final.conflicts.isEmpty)
    }

    @Test("Edits to the same paragraph conflict, both are kept, one device resolves, all converge")
    func sameParagraphConflictResolved() throws {
        let world = try TestWorld()
        let (alice, bob, id) = try shared(world, ["childViews=He is happy at home."])
        #expect(try alice.run(["set", id.uuidString, "childViews=He is happy at home and at school."]).succeeded)
        #expect(try bob.run(["set", id.uuidString, "childViews=He is mostly happy at home."]).succeeded)
        try alice.sync()
        let report = try bob.sync()
        #expect(report.conflicted == 1)
        try alice.sync()

        let conflicts = try bob.json([Conflict].self, ["conflicts", "--record", id.uuidString])
        #expect(conflicts.count == 1)
        let conflict = try #require(conflicts.first)
        #expect(conflict.field == "childViews")
        #expect(conflict.current == .string("He is happy at home and at school."))
        #expect(conflict.held == .string("He is mostly happy at home."))
        #expect(conflict.heldBy.user == "bob")
        #expect(try alice.show(id).conflicts.map(\.id) == [conflict.id], "the conflict reaches every device")
        let shown = try bob.run(["show", id.uuidString])
        #expect(shown.stdout.contains("⚠ in conflict"))

        let resolve = try alice.run([
            "conflict", "resolve", String(conflict.id.uuidString.prefix(8)), "--value", "He is mostly happy at home and at school.",
        ])
        #expect(resolve.succeeded, "\(resolve.stderr)")
        let final = try converge([alice, bob], id)
        #expect(final.fields["childViews"] == .string("He is mostly happy at home and at school."))
        #expect(final.conflicts.isEmpty)
        let history = try bob.json(HistoryView.self, ["history", id.uuidString])
        #expect(history.versions.map(\.operation) == ["create", "update", "update", "resolve"])
    }

    @Test("A stale edit to a submitted visit is rejected, kept, and shown to its author")
    func staleEditToSubmittedVisitRejected() throws {
        let world = try TestWorld()
        let complete = [
            "kind=CLA_STATUTORY", "contactMode=FACE_TO_FACE", "locationType=FOSTER_HOME", "actualStart=2026-11-20T10:00:00Z",
            "actualEnd=2026-11-20T11:00:00Z", "childSeen=yes", "childSeenAlone=yes", "childViews=Fine.",
            "childViewsMethod=CONVERSATION", "observations=Calm.", "analysis=No concerns.", "nextVisitDue=2026-12-31",
        ]
        let (alice, bob, id) = try shared(world, complete)
        #expect(try alice.run(["transition", id.uuidString, "COMPLETED"]).succeeded)
        #expect(try alice.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        #expect(try bob.run(["set", id.uuidString, "analysis=No concerns; carer asked for respite."]).succeeded)
        try alice.sync()
        let report = try bob.sync()
        #expect(report.refused == 1)
        let refusals = try bob.json([VerdictView].self, ["verdicts", "--rejected"])
        #expect(refusals.count == 1)
        #expect(refusals.first?.code == "stale_edit_on_locked_record")
        #expect(refusals.first?.message?.contains("addendum") == true)
        let final = try converge([alice, bob], id)
        #expect(final.state == "SUBMITTED")
        #expect(final.fields["analysis"] == .string("No concerns."))
        let history = try alice.json(HistoryView.self, ["history", id.uuidString])
        #expect(history.rejections.map(\.code) == ["stale_edit_on_locked_record"], "kept on the server too")
    }
}
