import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Supervisors review and authorise")
struct ReviewTests {
    static let completeVisit = [
        "kind=CLA_STATUTORY", "contactMode=FACE_TO_FACE", "locationType=FOSTER_HOME", "actualStart=2026-11-20T10:00:00Z",
        "actualEnd=2026-11-20T11:00:00Z", "childSeen=yes", "childSeenAlone=yes", "childViews=Settled.",
        "childViewsMethod=CONVERSATION", "observations=Calm home.", "analysis=No concerns.", "nextVisitDue=2026-12-31",
    ]

    @Test("A visit goes draft → submitted → returned → resubmitted → authorised across an adviser's and a manager's devices")
    func visitReviewCycle() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let id = try alice.newVisit(Self.completeVisit)
        #expect(try alice.run(["transition", id.uuidString, "COMPLETED"]).succeeded)
        #expect(try alice.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        try alice.sync()

        // The author may not authorise her own visit.
        let refusedHere = try alice.run(["transition", id.uuidString, "AUTHORISED", "--json"])
        #expect(refusedHere.status == 1 && DeviceStoreTests.error(refusedHere)?.code == "forbidden", "refused on the device first")
        #expect(try alice.uncheckedLocally.run(["transition", id.uuidString, "AUTHORISED"]).succeeded, "the server decides too")
        #expect(try alice.sync().refused == 1)
        #expect(try alice.json([VerdictView].self, ["verdicts", "--rejected"]).first?.code == "forbidden")

        try manager.sync()
        #expect(try manager.show(id).state == "SUBMITTED")
        #expect(try manager.run(["set", id.uuidString, "managerNote=Please add the carer's views."]).succeeded)
        let noReasonHere = try manager.run(["transition", id.uuidString, "RETURNED", "--json"])
        #expect(noReasonHere.status == 1 && DeviceStoreTests.error(noReasonHere)?.code == "transition_check_failed")
        let noReason = try manager.uncheckedLocally.run(["transition", id.uuidString, "RETURNED"])
        #expect(noReason.succeeded)
        #expect(try manager.sync().refused == 1, "a return needs a reason")
        #expect(try manager.run(["transition", id.uuidString, "RETURNED", "--reason", "Add the carer's views."]).succeeded)
        #expect(try manager.sync().refused == 0)

        try alice.sync()
        #expect(try alice.show(id).state == "RETURNED")
        #expect(try alice.show(id).fields["managerNote"] == .string("Please add the carer's views."))
        #expect(try alice.run(["set", id.uuidString, "carerViews=Carer is pleased with progress."]).succeeded)
        #expect(try alice.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        #expect(try alice.sync().refused == 0)

        try manager.sync()
        #expect(try manager.run(["transition", id.uuidString, "AUTHORISED"]).succeeded)
        #expect(try manager.sync().refused == 0)
        try alice.sync()
        #expect(try alice.show(id).state == "AUTHORISED")
        let history = try alice.json(HistoryView.self, ["history", id.uuidString])
        #expect(history.versions.filter { $0.operation == "transition" }.count == 5)
    }

    @Test("After authorisation a stale edit is rejected and kept; an addendum is accepted")
    func authorisedIsReadOnly() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let bob = try world.device("bob", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let id = try alice.newVisit(Self.completeVisit)
        #expect(try alice.run(["transition", id.uuidString, "COMPLETED"]).succeeded)
        #expect(try alice.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        try alice.sync()
        try bob.sync()
        try manager.sync()
        #expect(try manager.run(["transition", id.uuidString, "AUTHORISED"]).succeeded)
        try manager.sync()

        // Bob edits the copy he pulled before authorisation.
        #expect(try bob.run(["set", id.uuidString, "analysis=Late thought."]).status == 1, "a SUBMITTED visit: refused on the device")
        #expect(try bob.uncheckedLocally.run(["set", id.uuidString, "analysis=Late thought."]).succeeded)
        let report = try bob.sync()
        #expect(report.refused == 1)
        let refusal = try #require(try bob.json([VerdictView].self, ["verdicts", "--rejected"]).first)
        #expect(refusal.code == "stale_edit_on_locked_record" || refusal.code == "not_editable")
        #expect(refusal.message?.contains("addendum") == true)
        #expect(try bob.show(id).fields["analysis"] == .string("No concerns."))

        // The author adds an addendum instead.
        try alice.sync()
        #expect(
            try alice.run(["set", id.uuidString, #"addenda+={"text":"Late thought: carer asked for respite.","addedOn":"2026-11-23"}"#])
                .succeeded)
        #expect(try alice.sync().refused == 0)
        try manager.sync()
        #expect(try manager.show(id).fields["addenda"]?.arrayValue?.count == 1)
        #expect(try manager.show(id).state == "AUTHORISED")
    }
}
