import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Offline work and sync between devices")
struct OfflineSyncTests {
    @Test("A visit written with the server down is kept, sent on the next sync, and reaches the other device")
    func offlineCreateReachesOtherDevice() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let port = world.server.port
        world.server.stop()

        let yp = world.youngPerson
        let id = try alice.newVisit(
            youngPerson: yp,
            [
                "kind=CLA_STATUTORY", "contactMode=FACE_TO_FACE", "childViews=Likes the new school.\nWants more time with her brother.",
            ])
        let offline = try alice.sync()
        #expect(offline.reachable == false)
        #expect(offline.unsent == 1)
        #expect(offline.message?.contains("Cannot reach the server") == true)
        #expect(try alice.status().unsent == 1)

        try world.server.start(port: port)
        let online = try alice.sync()
        #expect(online.reachable)
        #expect(online.sent == 1 && online.applied == 1 && online.unsent == 0)

        let received = try bob.sync()
        #expect(received.received == 1)
        let seen = try bob.show(id)
        let written = try alice.show(id)
        #expect(seen.fields == written.fields)
        #expect(seen.youngPerson == yp)
        #expect(seen.fields["childViews"] == .string("Likes the new school.\nWants more time with her brother."))
        #expect(seen.createdBy == "alice")
        #expect(seen.version > 0)
    }

    @Test("Pulls are incremental: a second pull with nothing new receives nothing, a new edit arrives alone")
    func incrementalPull() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let first = try alice.newVisit(["kind=PA_CONTACT_VISIT"])
        _ = try alice.newVisit(["kind=PA_CONTACT_VISIT"])
        try alice.sync()
        #expect(try bob.sync().received == 2)
        #expect(try bob.sync().received == 0)
        let set = try alice.run(["set", first.uuidString, "purpose=Check the new flat"])
        #expect(set.succeeded, "\(set.stderr)")
        try alice.sync()
        #expect(try bob.sync().received == 1)
        #expect(try bob.show(first).fields["purpose"] == .string("Check the new flat"))
    }

    @Test("Values come from files and stdin; list items are added and edited by id")
    func fieldInputForms() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let notes = world.root.appendingPathComponent("observations.txt")
        try "Tidy room.\nPosters of football players.\n".write(to: notes, atomically: true, encoding: .utf8)
        let id = try alice.newVisit(["observations=@\(notes.path)"])
        let stdinSet = try alice.run(["set", id.uuidString, "analysis=@-"], stdin: "Settled; no concerns.")
        #expect(stdinSet.succeeded, "\(stdinSet.stderr)")
        let add = try alice.run(["set", id.uuidString, #"actions+={"description":"Book dentist","dueDate":"2026-12-01","status":"OPEN"}"#])
        #expect(add.succeeded, "\(add.stderr)")
        let actions = try alice.show(id).fields["actions"]?.arrayValue ?? []
        #expect(actions.count == 1)
        let itemId = try #require(actions.first?.objectValue?["id"]?.stringValue)
        let edit = try alice.run(["set", id.uuidString, "actions[\(itemId.prefix(8))].status=DONE"])
        #expect(edit.succeeded, "\(edit.stderr)")
        let record = try alice.show(id)
        #expect(record.fields["observations"] == .string("Tidy room.\nPosters of football players.\n"))
        #expect(record.fields["analysis"] == .string("Settled; no concerns."))
        #expect(record.fields["actions"]?.arrayValue?.first?.objectValue?["status"] == .string("DONE"))
    }

    @Test("A visit cannot be completed without its statutory fields; the message names what is missing")
    func completionNeedsStatutoryFields() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["kind=CLA_STATUTORY", "childSeen=yes", "childSeenAlone=no"])
        let refused = try alice.run(["transition", id.uuidString, "COMPLETED"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("notSeenAloneReason"))
        #expect(refused.stderr.contains("observations"))
        #expect(try alice.status().unsent == 1, "a refused transition queues nothing")
        let filled = try alice.run([
            "set", id.uuidString, "contactMode=FACE_TO_FACE", "locationType=FOSTER_HOME", "actualStart=2026-11-20T10:00:00Z",
            "actualEnd=2026-11-20T11:00:00Z", "notSeenAloneReason=REFUSED", "childViews=Happy here.", "childViewsMethod=CONVERSATION",
            "observations=Warm home.", "analysis=Placement stable.", "nextVisitDue=2026-12-31",
        ])
        #expect(filled.succeeded, "\(filled.stderr)")
        #expect(try alice.run(["transition", id.uuidString, "COMPLETED"]).succeeded)
        let report = try alice.sync()
        #expect(report.refused == 0 && report.applied == 3)
        #expect(try alice.show(id).state == "COMPLETED")
    }
}
