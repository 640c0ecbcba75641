import FieldSyncProtocol
import Foundation
import Testing

@testable import FieldSyncServer

@Suite("Conflicts, resolutions, deletes and states on the server")
struct ConflictEdgeCaseTests {
    func createVisit(_ h: ServerHarness, by device: AuthenticatedDevice, _ fields: [String: JSONValue] = [:]) async throws -> (UUID, Int64)
    {
        let id = UUID()
        let result = try await h.push(device, [.create(id, kind: .visit, youngPerson: h.youngPerson, fields: fields)])
        return (id, try #require(result.verdicts.first?.version))
    }

    @Test("Same value on both sides is not a conflict; different fields merge")
    func sameValueAndDifferentFields() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a)
        let first = try await h.push(
            a,
            [
                .update(
                    id, base: v1, fields: ["contactMode": "PHONE", "announced": true], baseFields: ["contactMode": nil, "announced": nil])
            ])
        #expect(first.verdicts[0].outcome == .applied)
        let second = try await h.push(
            b,
            [
                .update(
                    id, base: v1, fields: ["contactMode": "PHONE", "outOfArea": true], baseFields: ["contactMode": nil, "outOfArea": nil])
            ])
        #expect(second.verdicts[0].outcome == .applied)
        let record = try #require(try await h.record(id))
        #expect(record.conflicts.isEmpty)
        #expect(record.fields["contactMode"] == "PHONE" && record.fields["announced"] == true && record.fields["outOfArea"] == true)
    }

    @Test("A scalar changed differently keeps the server's value and holds the other with its author")
    func scalarConflict() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a, ["locationType": "FOSTER_HOME"])
        try await h.push(
            a, [.update(id, base: v1, fields: ["locationType": "SCHOOL_COLLEGE"], baseFields: ["locationType": "FOSTER_HOME"])])
        let result = try await h.push(
            b, [.update(id, base: v1, fields: ["locationType": "COMMUNITY"], baseFields: ["locationType": "FOSTER_HOME"])])
        #expect(result.verdicts[0].outcome == .conflict)
        let record = try #require(try await h.record(id))
        #expect(record.fields["locationType"] == "SCHOOL_COLLEGE")
        let conflict = try #require(record.conflicts.first)
        #expect(conflict.held == "COMMUNITY" && conflict.current == "SCHOOL_COLLEGE" && conflict.base == "FOSTER_HOME")
        #expect(conflict.heldBy.user == "bob" && conflict.heldBy.device == b.deviceId)
    }

    @Test("A conflict resolved on one device while another edits the same field: the resolution conflicts, nothing is lost")
    func resolutionMeetsConcurrentEdit() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let c = try h.device("cara")
        let (id, v1) = try await createVisit(h, by: a)
        try await h.push(a, [.update(id, base: v1, fields: ["contactMode": "VIDEO"], baseFields: ["contactMode": nil])])
        let opened = try await h.push(b, [.update(id, base: v1, fields: ["contactMode": "PHONE"], baseFields: ["contactMode": nil])])
        let conflictId = try #require(opened.verdicts[0].conflicts?.first)
        let seenByResolver = try #require(try await h.record(id)).version
        // Cara edits the field after the conflict opened, having seen VIDEO.
        let edit = try await h.push(
            c, [.update(id, base: seenByResolver, fields: ["contactMode": "MESSAGE"], baseFields: ["contactMode": "VIDEO"])])
        #expect(edit.verdicts[0].outcome == .applied)
        // Alice, who saw the conflict with VIDEO current, picks the held PHONE.
        let resolution = try await h.push(a, [.resolve(id, base: seenByResolver, conflict: conflictId, choice: .held)])
        #expect(resolution.verdicts[0].outcome == .conflict)
        let record = try #require(try await h.record(id))
        #expect(record.fields["contactMode"] == "MESSAGE", "the newer edit stays current")
        #expect(record.conflicts.count == 1)
        #expect(record.conflicts.first?.held == "PHONE" && record.conflicts.first?.current == "MESSAGE")
        let history = try #require(try await h.history(id))
        let old = try #require(history.conflicts.first { $0.id == conflictId })
        #expect(old.status == "resolved")
        #expect(old.resolution?.by.user == "alice")
    }

    @Test("Resolving a conflict someone already resolved is refused and kept")
    func doubleResolution() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a)
        try await h.push(a, [.update(id, base: v1, fields: ["announced": true], baseFields: ["announced": nil])])
        let opened = try await h.push(b, [.update(id, base: v1, fields: ["announced": false], baseFields: ["announced": nil])])
        let conflictId = try #require(opened.verdicts[0].conflicts?.first)
        let v = try #require(try await h.record(id)).version
        #expect(try await h.push(a, [.resolve(id, base: v, conflict: conflictId, choice: .current)]).verdicts[0].outcome == .applied)
        let late = try await h.push(b, [.resolve(id, base: v, conflict: conflictId, choice: .held)])
        #expect(late.verdicts[0].outcome == .rejected)
        #expect(late.verdicts[0].code == "conflict_already_resolved")
        #expect(try await h.history(id)?.rejections.count == 1)
        #expect(try await h.record(id)?.fields["announced"] == true)
    }

    @Test("A resolution with a new value writes it and records who resolved it")
    func resolveWithValue() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a, ["childViews": "He is happy."])
        try await h.push(
            a, [.update(id, base: v1, fields: ["childViews": "He is happy at home."], baseFields: ["childViews": "He is happy."])])
        let opened = try await h.push(
            b, [.update(id, base: v1, fields: ["childViews": "He is mostly happy."], baseFields: ["childViews": "He is happy."])])
        #expect(opened.verdicts[0].outcome == .conflict)
        let conflictId = try #require(opened.verdicts[0].conflicts?.first)
        let v = try #require(try await h.record(id)).version
        let bad = try await h.push(b, [.resolve(id, base: v, conflict: conflictId, choice: .value, value: 42)])
        #expect(bad.verdicts[0].outcome == .rejected && bad.verdicts[0].code == "invalid_value")
        let good = try await h.push(b, [.resolve(id, base: v, conflict: conflictId, choice: .value, value: "He is mostly happy at home.")])
        #expect(good.verdicts[0].outcome == .applied)
        let record = try #require(try await h.record(id))
        #expect(record.fields["childViews"] == "He is mostly happy at home.")
        #expect(record.conflicts.isEmpty)
    }

    @Test("A delete meeting an edit it never saw is a conflict; the record stays until someone chooses")
    func deleteMeetsEdit() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a)
        try await h.push(b, [.update(id, base: v1, fields: ["purpose": "Follow-up"], baseFields: ["purpose": nil])])
        let delete = try await h.push(a, [.delete(id, base: v1)])
        #expect(delete.verdicts[0].outcome == .conflict)
        var record = try #require(try await h.record(id))
        #expect(record.deleted == false && record.fields["purpose"] == "Follow-up")
        let conflictId = try #require(record.conflicts.first?.id)
        try await h.push(b, [.resolve(id, base: record.version, conflict: conflictId, choice: .held)])
        record = try #require(try await h.record(id))
        #expect(record.deleted, "choosing the held delete deletes it")
    }

    @Test("An edit meeting a delete it never saw is held on the tombstone, never a resurrection; it can be restored")
    func editMeetsDelete() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a)
        #expect(try await h.push(a, [.delete(id, base: v1)]).verdicts[0].outcome == .applied)
        let edit = try await h.push(b, [.update(id, base: v1, fields: ["analysis": "Important"], baseFields: ["analysis": nil])])
        #expect(edit.verdicts[0].outcome == .conflict)
        var record = try #require(try await h.record(id))
        #expect(record.deleted)
        #expect(record.conflicts.first?.held == .object(["analysis": "Important"]))
        try await h.push(a, [.resolve(id, base: record.version, conflict: record.conflicts[0].id, choice: .held)])
        record = try #require(try await h.record(id))
        #expect(!record.deleted && record.fields["analysis"] == "Important")
    }

    @Test("A device's own earlier changes never count against its later ones")
    func ownChangesAreSeen() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let id = UUID()
        // Created and deleted offline: both carry base 0, as the device has not pulled yet.
        let result = try await h.push(
            a, [.create(id, kind: .visit, youngPerson: h.youngPerson, fields: ["purpose": "x"]), .delete(id, base: 0)])
        #expect(result.verdicts.map(\.outcome) == [.applied, .applied])
        #expect(try await h.record(id)?.deleted == true)
    }

    @Test("One change set is all or nothing, and a repeat returns the first answer")
    func atomicAndIdempotent() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let id = UUID()
        let changeSet = ChangeSet(
            deviceSequence: 1,
            operations: [
                .create(id, kind: .visit, youngPerson: h.youngPerson, fields: [:]),
                .update(id, base: 0, fields: ["purpose": "one"], baseFields: ["purpose": nil]),
            ])
        let first = try await h.send(a, changeSet)
        let again = try await h.send(a, changeSet)
        #expect(again.replayed && again.verdicts == first.verdicts)
        #expect(try await h.history(id)?.versions.count == 2)
        // A change set the server cannot store at all (its id reused by another device) leaves nothing behind.
        let b = try h.device("bob")
        await #expect(throws: APIError.self) { try await h.send(b, changeSet) }
        #expect(try await h.history(id)?.versions.count == 2)
    }

    @Test("Transitions follow the lifecycle and its checks; returning needs a reason; open conflicts block submission")
    func lifecycle() async throws {
        let h = try ServerHarness()
        let a = try h.device("alice")
        let b = try h.device("bob")
        let (id, v1) = try await createVisit(h, by: a)
        let jump = try await h.push(a, [.transition(id, base: v1, to: "AUTHORISED")])
        #expect(jump.verdicts[0].code == "transition_not_allowed")
        let early = try await h.push(a, [.transition(id, base: v1, to: "COMPLETED")])
        #expect(early.verdicts[0].code == "transition_check_failed")
        #expect(early.verdicts[0].message?.contains("observations") == true)
        let fields: [String: JSONValue] = [
            "kind": "CLA_STATUTORY", "contactMode": "FACE_TO_FACE", "locationType": "FOSTER_HOME",
            "actualStart": "2026-11-20T10:00:00Z", "actualEnd": "2026-11-20T11:00:00Z", "childSeen": true, "childSeenAlone": true,
            "childViews": "Fine.", "childViewsMethod": "CONVERSATION", "observations": "Calm.", "analysis": "None.",
            "nextVisitDue": "2026-12-31",
        ]
        try await h.push(a, [.update(id, base: v1, fields: fields, baseFields: fields.mapValues { _ in .null })])
        try await h.push(b, [.update(id, base: v1, fields: ["bedroomSeen": true], baseFields: ["bedroomSeen": nil])])
        try await h.push(a, [.update(id, base: v1, fields: ["bedroomSeen": false], baseFields: ["bedroomSeen": nil])])
        var v = try #require(try await h.record(id)).version
        #expect(try await h.push(a, [.transition(id, base: v, to: "COMPLETED")]).verdicts[0].outcome == .applied)
        let blocked = try await h.push(a, [.transition(id, base: v, to: "SUBMITTED")])
        #expect(blocked.verdicts[0].code == "transition_check_failed" && blocked.verdicts[0].message?.contains("conflict") == true)
        let record = try #require(try await h.record(id))
        try await h.push(a, [.resolve(id, base: record.version, conflict: record.conflicts[0].id, choice: .current)])
        v = try #require(try await h.record(id)).version
        #expect(try await h.push(a, [.transition(id, base: v, to: "SUBMITTED")]).verdicts[0].outcome == .applied)
        let byAdviser = try await h.push(b, [.transition(id, base: v, to: "RETURNED", reason: "Add the carer's views.")])
        #expect(byAdviser.verdicts[0].code == "forbidden", "only a team manager returns a visit")
        let manager = try h.device("maria", role: .teamManager)
        let noReason = try await h.push(manager, [.transition(id, base: v, to: "RETURNED")])
        #expect(noReason.verdicts[0].code == "transition_check_failed")
        let returned = try await h.push(manager, [.transition(id, base: v, to: "RETURNED", reason: "Add the carer's views.")])
        #expect(returned.verdicts[0].outcome == .applied)
    }
}
