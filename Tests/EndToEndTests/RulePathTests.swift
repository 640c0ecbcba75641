import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, findings 1, 2 and 13: every operation, resolutions included, reaches a record through
/// the same role and lifecycle rules, checked against the server's values. Driven over HTTP
/// against a real `fieldsync-server`.
@Suite("One rule path: no resolution or forged base gets round the rules")
struct RulePathTests {
    @Test("An adviser cannot write the manager's oversight note by resolving the manager's conflict")
    func resolveKeepsTheManagerNoteRule() async throws {
        let world = try TestWorld()
        let adviser = try await WireDevice.enrolled(world, "priya")
        let managerLaptop = try await WireDevice.enrolled(world, "maria", role: "TM")
        let managerTablet = try await WireDevice.enrolled(world, "maria", role: "TM", allocate: false)
        let id = UUID()
        try await adviser.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": "Check-in"])])
        let v1 = try #require(try await adviser.record(id)).version
        #expect(
            try await managerLaptop.send(.update(id, base: v1, fields: ["managerNote": "Seen: good."], baseFields: ["managerNote": nil]))
                .outcome == .applied)
        let opened = try await managerTablet.send(
            .update(id, base: v1, fields: ["managerNote": "Needs follow-up."], baseFields: ["managerNote": nil]))
        #expect(opened.outcome == .conflict)
        let conflict = try #require(opened.conflicts?.first)
        let v = try #require(try await adviser.record(id)).version

        let direct = try await adviser.send(
            .update(id, base: v, fields: ["managerNote": "Adviser's text"], baseFields: ["managerNote": "Seen: good."]))
        #expect(direct.outcome == .rejected && direct.code == RejectionCode.forbidden.rawValue)
        for choice in [ResolutionChoice.value, .held, .current] {
            let verdict = try await adviser.send(
                .resolve(id, base: v, conflict: conflict, choice: choice, value: choice == .value ? "Adviser's text" : nil))
            #expect(verdict.outcome == .rejected && verdict.code == RejectionCode.forbidden.rawValue, "\(choice)")
        }
        let after = try #require(try await adviser.record(id))
        #expect(after.fields["managerNote"] == "Seen: good.")
        #expect(after.conflicts.map(\.id) == [conflict])

        #expect(try await managerLaptop.send(.resolve(id, base: v, conflict: conflict, choice: .held)).outcome == .applied)
        #expect(try await adviser.record(id)?.fields["managerNote"] == "Needs follow-up.")
    }

    @Test("A designated teacher cannot set a PEP's QA rating through a resolution")
    func resolveKeepsTheQualityAssuranceRule() async throws {
        let world = try TestWorld()
        let social = try await WireDevice.enrolled(world, "sally", role: "SW")
        let teacher = try await WireDevice.enrolled(world, "dev", role: "DT", team: "oak")
        let schoolA = try await WireDevice.enrolled(world, "vera", role: "VSO", team: "virtual-school", allocate: false)
        let schoolB = try await WireDevice.enrolled(world, "vera", role: "VSO", team: "virtual-school", allocate: false)
        let id = try await ReadyPep.make(world, social: social, teacher: teacher)
        #expect(try await schoolA.send(.transition(id, base: try await version(id, schoolA), to: "IN_QA")).outcome == .applied)
        let inQA = try await version(id, schoolA)
        #expect(
            try await schoolA.send(.update(id, base: inQA, fields: ["qaRating": "GREEN"], baseFields: ["qaRating": nil])).outcome
                == .applied)
        let opened = try await schoolB.send(.update(id, base: inQA, fields: ["qaRating": "RED"], baseFields: ["qaRating": nil]))
        let conflict = try #require(opened.conflicts?.first)
        let v = try await version(id, schoolA)

        let direct = try await teacher.send(.update(id, base: v, fields: ["qaRating": "GOLD"], baseFields: ["qaRating": "GREEN"]))
        #expect(direct.outcome == .rejected && direct.code == RejectionCode.forbidden.rawValue)
        for choice in [ResolutionChoice.value, .held] {
            let verdict = try await teacher.send(
                .resolve(id, base: v, conflict: conflict, choice: choice, value: choice == .value ? "GOLD" : nil))
            #expect(verdict.outcome == .rejected && verdict.code == RejectionCode.forbidden.rawValue, "\(choice)")
        }
        #expect(try await schoolA.record(id)?.fields["qaRating"] == "GREEN")
        #expect(try await schoolA.send(.resolve(id, base: v, conflict: conflict, choice: .held)).outcome == .applied)
        #expect(try await schoolA.record(id)?.fields["qaRating"] == "RED")
    }

    @Test("Restoring a deleted visit through its conflict is the edit it writes: an adviser cannot restore a manager's note")
    func restoreIsTheEditItMakes() async throws {
        let world = try TestWorld()
        let adviser = try await WireDevice.enrolled(world, "priya")
        let manager = try await WireDevice.enrolled(world, "maria", role: "TM")
        let id = UUID()
        try await adviser.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": "Draft"])])
        let v1 = try #require(try await adviser.record(id)).version
        #expect(try await adviser.send(.delete(id, base: v1)).outcome == .applied)
        let held = try await manager.send(
            .update(id, base: v1, fields: ["managerNote": "Why was this discarded?"], baseFields: ["managerNote": nil]))
        #expect(held.outcome == .conflict)
        let conflict = try #require(held.conflicts?.first)
        let v = try #require(try await manager.history(id).versions.last).version

        let restore = try await adviser.send(.resolve(id, base: v, conflict: conflict, choice: .held))
        #expect(restore.outcome == .rejected && restore.code == RejectionCode.forbidden.rawValue)
        #expect(try await adviser.record(id)?.deleted == true, "still deleted")
        // The manager may not restore an adviser's discarded draft either; the adviser keeps it discarded.
        #expect(try await manager.send(.resolve(id, base: v, conflict: conflict, choice: .held)).code == RejectionCode.forbidden.rawValue)
        #expect(try await adviser.send(.resolve(id, base: v, conflict: conflict, choice: .current)).outcome == .applied)
    }

    @Test("Taking the delete of a delete-versus-edit conflict is a delete: refused once the visit is COMPLETED")
    func heldDeleteKeepsTheLifecycle() async throws {
        let world = try TestWorld()
        let laptop = try await WireDevice.enrolled(world, "priya")
        let tablet = try await WireDevice.enrolled(world, "priya", allocate: false)
        let id = UUID()
        try await laptop.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: CompleteVisit.fields)])
        let v1 = try #require(try await laptop.record(id)).version
        #expect(
            try await tablet.send(.update(id, base: v1, fields: ["purpose": "Statutory"], baseFields: ["purpose": nil])).outcome == .applied
        )
        let deleting = try await laptop.send(.delete(id, base: v1))
        #expect(deleting.outcome == .conflict)
        let conflict = try #require(deleting.conflicts?.first)
        #expect(try await tablet.send(.transition(id, base: try await version(id, tablet), to: "COMPLETED")).outcome == .applied)

        let verdict = try await laptop.send(.resolve(id, base: try await version(id, laptop), conflict: conflict, choice: .held))
        #expect(verdict.outcome == .rejected && verdict.code == RejectionCode.notEditable.rawValue)
        let record = try #require(try await laptop.record(id))
        #expect(!record.deleted && record.state == "COMPLETED")
    }

    @Test("An authorised visit's addenda cannot be rewritten by claiming an empty base; new ones are appended after the server's")
    func addendaAreCheckedAgainstTheServer() async throws {
        let world = try TestWorld()
        let adviser = try await WireDevice.enrolled(world, "priya")
        let manager = try await WireDevice.enrolled(world, "maria", role: "TM")
        let id = try await AuthorisedVisit.make(world, author: adviser, manager: manager)
        let first: JSONValue = [
            "id": "a0000000-0000-4000-8000-000000000001", "text": "Correction: the carer was present.", "addedOn": "2026-11-20",
        ]
        let v = try await version(id, adviser)
        #expect(try await adviser.send(.update(id, base: v, fields: ["addenda": [first]], baseFields: ["addenda": []])).outcome == .applied)

        let rewritten: JSONValue = ["id": "a0000000-0000-4000-8000-000000000001", "text": "Nothing happened.", "addedOn": "2026-11-20"]
        let forged = try await adviser.send(.update(id, base: v, fields: ["addenda": [rewritten]], baseFields: ["addenda": []]))
        #expect(forged.outcome == .rejected && forged.code == RejectionCode.notEditable.rawValue)
        let second: JSONValue = ["id": "a0000000-0000-4000-8000-000000000002", "text": "Second addendum.", "addedOn": "2026-11-21"]
        let mixed = try await adviser.send(.update(id, base: v, fields: ["addenda": [rewritten, second]], baseFields: ["addenda": []]))
        #expect(mixed.outcome == .rejected)
        let unchanged = try #require(try await adviser.record(id))
        #expect(unchanged.fields["addenda"] == [first])
        #expect(unchanged.conflicts.isEmpty && unchanged.state == "AUTHORISED")

        // A device that had not yet seen the first addendum appends after it, never over it.
        let stale = try await manager.send(.update(id, base: v, fields: ["addenda": [second]], baseFields: ["addenda": []]))
        #expect(stale.outcome == .applied)
        #expect(try await adviser.record(id)?.fields["addenda"] == [first, second])
    }

    @Test(
        "Segregation of duties: a manager writes content only on their own visits, and one who settled a visit's content may not authorise it"
    )
    func segregationOfDuties() async throws {
        let world = try TestWorld()
        let adviser = try await WireDevice.enrolled(world, "priya")
        let coWorker = try await WireDevice.enrolled(world, "pat", role: "SW")
        let manager = try await WireDevice.enrolled(world, "maria", role: "TM")
        let otherManager = try await WireDevice.enrolled(world, "mo", role: "TM")
        let id = UUID()
        try await adviser.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: CompleteVisit.fields)])
        let v1 = try await version(id, adviser)
        let written = try await manager.send(
            .update(id, base: v1, fields: ["analysis": "Manager's analysis"], baseFields: ["analysis": "Placement stable."]))
        #expect(written.outcome == .rejected && written.code == RejectionCode.forbidden.rawValue)

        // Two workers disagree; the manager settles it from the team's queue by keeping a side.
        #expect(
            try await adviser.send(.update(id, base: v1, fields: ["contactMode": "VIDEO"], baseFields: ["contactMode": "FACE_TO_FACE"]))
                .outcome == .applied)
        let opened = try await coWorker.send(
            .update(id, base: v1, fields: ["contactMode": "PHONE"], baseFields: ["contactMode": "FACE_TO_FACE"]))
        let conflict = try #require(opened.conflicts?.first)
        let settled = try await manager.send(.resolve(id, base: try await version(id, manager), conflict: conflict, choice: .held))
        #expect(settled.outcome == .applied)
        let newValue = try await manager.send(
            .resolve(id, base: try await version(id, manager), conflict: conflict, choice: .value, value: "MESSAGE"))
        #expect(newValue.outcome == .rejected)

        let submitted = try await adviser.push([
            .transition(id, base: try await version(id, adviser), to: "COMPLETED"),
            .transition(id, base: try await version(id, adviser), to: "SUBMITTED"),
        ])
        #expect(submitted.verdicts.allSatisfy { $0.outcome == .applied })
        let byContributor = try await manager.send(.transition(id, base: try await version(id, manager), to: "AUTHORISED"))
        #expect(byContributor.outcome == .rejected && byContributor.code == RejectionCode.forbidden.rawValue)
        #expect(byContributor.message?.contains("segregation of duties") == true)
        #expect(
            try await otherManager.send(.transition(id, base: try await version(id, otherManager), to: "AUTHORISED")).outcome == .applied)
    }

    @Test("The Virtual School does not edit a draft PEP's content; it edits education and QA only while the PEP is in QA")
    func virtualSchoolEditsOnlyAtQA() async throws {
        let world = try TestWorld()
        let social = try await WireDevice.enrolled(world, "sally", role: "SW")
        let school = try await WireDevice.enrolled(world, "vera", role: "VSO", team: "virtual-school", allocate: false)
        let id = UUID()
        try await social.push([
            .create(id, kind: .pep, youngPerson: world.youngPerson, fields: ["term": "AUTUMN", "childVoice": "I like art."])
        ])
        let v = try await version(id, school)
        let voice = try await school.send(
            .update(id, base: v, fields: ["childVoice": "Rewritten."], baseFields: ["childVoice": "I like art."]))
        #expect(voice.outcome == .rejected && voice.code == RejectionCode.forbidden.rawValue)
        let strengths = try await school.send(.update(id, base: v, fields: ["strengths": "Art."], baseFields: ["strengths": nil]))
        #expect(strengths.outcome == .rejected && strengths.code == RejectionCode.notEditable.rawValue)
        // The refusal names the section's owner and when the Virtual School may edit it.
        #expect(
            strengths.message?.contains("it is written by designated teachers, and by Virtual School officers in IN_QA") == true,
            "\(strengths.message ?? "")")
        #expect(voice.message?.contains("it is written by social workers and designated teachers") == true, "\(voice.message ?? "")")
        #expect(try await social.record(id)?.fields["childVoice"] == "I like art.")
    }

    func version(_ id: UUID, _ device: WireDevice) async throws -> Int64 {
        try #require(try await device.record(id)).version
    }
}

/// A visit taken through COMPLETED and SUBMITTED by its author and authorised by a manager.
enum AuthorisedVisit {
    static func make(_ world: TestWorld, author: WireDevice, manager: WireDevice) async throws -> UUID {
        let id = UUID()
        try await author.push([.create(id, kind: .visit, youngPerson: world.youngPerson, fields: CompleteVisit.fields)])
        var v = try #require(try await author.record(id)).version
        let moved = try await author.push([.transition(id, base: v, to: "COMPLETED"), .transition(id, base: v, to: "SUBMITTED")])
        guard moved.verdicts.allSatisfy({ $0.outcome == .applied }) else { throw WorldError("could not submit: \(moved.verdicts)") }
        v = try #require(try await manager.record(id)).version
        let authorised = try await manager.send(.transition(id, base: v, to: "AUTHORISED"))
        guard authorised.outcome == .applied else { throw WorldError("could not authorise: \(authorised)") }
        return id
    }
}

/// A PEP the social worker and the designated teacher have written and submitted to the Virtual School.
enum ReadyPep {
    static func make(_ world: TestWorld, social: WireDevice, teacher: WireDevice) async throws -> UUID {
        let id = UUID()
        let setting: JSONValue = ["urn": "123456", "name": "Oak Academy", "type": "ACADEMY", "outOfCounty": false]
        let attendee: JSONValue = ["id": "0a1b2c3d-0000-4000-8000-000000000001", "role": "DT", "attended": true]
        try await social.push([
            .create(
                id, kind: .pep, youngPerson: world.youngPerson,
                fields: [
                    "academicYear": "2026/27", "term": "AUTUMN", "pepType": "TERMLY_REVIEW", "template": "KS3", "setting": setting,
                    "yearGroup": "Y8", "careSummaryForSchool": "Settled.", "childVoice": "I want to read more.",
                    "carerVoice": "Reads with her nightly.", "nextPepDate": "2027-02-01", "meetingDate": "2026-11-10T10:00:00Z",
                    "attendees": [attendee],
                ])
        ])
        let target: JSONValue = [
            "id": "0a1b2c3d-0000-4000-8000-000000000002", "area": "ACADEMIC", "specific": "Read daily",
            "measure": "Reading age up 6 months", "ownerType": "DT", "dueDate": "2027-01-31",
        ]
        var v = try #require(try await teacher.record(id)).version
        let taught = try await teacher.send(
            .update(
                id, base: v, fields: ["strengths": "Art.", "barriersAndNeeds": "Reading.", "targets": [target]],
                baseFields: ["strengths": nil, "barriersAndNeeds": nil, "targets": nil]))
        guard taught.outcome == .applied else { throw WorldError("teacher's part refused: \(taught)") }
        v = try #require(try await social.record(id)).version
        let moved = try await social.push(
            ["DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "SUBMITTED"].map { ChangeOperation.transition(id, base: v, to: $0) })
        guard moved.verdicts.allSatisfy({ $0.outcome == .applied }) else { throw WorldError("could not submit the PEP: \(moved.verdicts)") }
        return id
    }
}
