import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("PEPs: the social worker drafts, the Virtual School reviews")
struct PepReviewTests {
    /// What the social worker writes: the header, the care section and the voices (domain model 2.4).
    static let socialWorkersPart = [
        "academicYear=2026/27", "term=AUTUMN", "pepType=TERMLY_REVIEW", "template=KS3",
        #"setting={"urn":"123456","name":"Oak Academy","type":"ACADEMY","outOfCounty":false}"#, "yearGroup=Y8",
        "careSummaryForSchool=Settled with long-term foster carers since 2024.", "childVoice=I want to get better at reading.",
        "carerVoice=Reads with her every night.", "nextPepDate=2027-02-01", "meetingDate=2026-11-10T10:00:00Z",
        #"attendees=[{"id":"0a1b2c3d-0000-4000-8000-000000000001","role":"DT","attended":true}]"#,
    ]
    /// What the designated teacher writes: the education section and the targets.
    static let teachersPart = [
        "strengths=Art, football, kindness.", "barriersAndNeeds=Reading below age; finds transitions hard.",
        #"targets=[{"id":"0a1b2c3d-0000-4000-8000-000000000002","area":"ACADEMIC","specific":"Read daily","measure":"Reading age up 6 months","ownerType":"DT","dueDate":"2027-01-31"}]"#,
    ]

    @Test("Submitted → in QA → returned for amendment (with a reason) → resubmitted → finalised with a rating; then read-only")
    func pepQualityAssurance() throws {
        let world = try TestWorld()
        let social = try world.device("sally", role: "SW", team: "north")
        let teacher = try world.device("dev", role: "DT", team: "oak-academy")
        let school = try world.device("vera", role: "VSO", team: "virtual-school", shared: false)
        let id = try social.json(
            LocalRecordView.self, ["pep", "new", "--young-person", world.youngPerson.uuidString] + Self.socialWorkersPart
        ).snapshot.id
        try social.sync()
        try teacher.sync()
        // The social worker does not write the school's section; the teacher does.
        #expect(try social.run(["set", id.uuidString, "strengths=Kind."]).status == 1, "refused on the device first")
        #expect(try social.uncheckedLocally.run(["set", id.uuidString, "strengths=Kind."]).succeeded)
        let refusedSection = try social.sync()
        #expect(refusedSection.refused == 1)
        #expect(try teacher.run(["set", id.uuidString] + Self.teachersPart).succeeded)
        #expect(try teacher.sync().refused == 0)
        try social.sync()
        for state in ["DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "SUBMITTED"] {
            let moved = try social.run(["transition", id.uuidString, state])
            #expect(moved.succeeded, "\(state): \(moved.stderr)")
        }
        #expect(try social.sync().refused == 0)

        // The social worker cannot take her own PEP into QA.
        #expect(try social.run(["transition", id.uuidString, "IN_QA"]).status == 1, "refused on the device first")
        #expect(try social.uncheckedLocally.run(["transition", id.uuidString, "IN_QA"]).succeeded)
        #expect(try social.sync().refused == 1)

        try school.sync()
        #expect(try school.show(id).state == "SUBMITTED")
        #expect(try school.run(["transition", id.uuidString, "IN_QA"]).succeeded)
        let unrated = try school.run(["transition", id.uuidString, "FINALISED"])
        #expect(unrated.status == 1 && unrated.stderr.contains("qaRating"), "a rating is needed first")
        #expect(try school.run(["set", id.uuidString, "qaRating=AMBER", "qaFeedback=Targets need a baseline."]).succeeded)
        #expect(
            try school.run(["transition", id.uuidString, "RETURNED_FOR_AMENDMENT", "--reason", "Add a baseline to each target."]).succeeded)
        #expect(try school.sync().refused == 0)

        try social.sync()
        #expect(try social.show(id).state == "RETURNED_FOR_AMENDMENT")
        #expect(try social.show(id).fields["qaFeedback"] == .string("Targets need a baseline."))
        try teacher.sync()
        let target = "0a1b2c3d-0000-4000-8000-000000000002"
        #expect(try teacher.run(["set", id.uuidString, "targets[\(target)].baseline=Reading age 10y2m"]).succeeded)
        #expect(try teacher.run(["transition", id.uuidString, "SUBMITTED"]).succeeded)
        #expect(try teacher.sync().refused == 0)

        try school.sync()
        #expect(try school.run(["transition", id.uuidString, "IN_QA"]).succeeded)
        #expect(try school.run(["set", id.uuidString, "qaRating=GREEN"]).succeeded)
        #expect(try school.run(["transition", id.uuidString, "FINALISED"]).succeeded)
        #expect(try school.sync().refused == 0)

        try social.sync()
        #expect(try social.show(id).state == "FINALISED")
        let locally = try social.run(["set", id.uuidString, "childVoice=Changed my mind.", "--json"])
        #expect(locally.status == 1 && DeviceStoreTests.error(locally)?.code == "not_editable", "\(locally.stdout)")
        #expect(try social.uncheckedLocally.run(["set", id.uuidString, "childVoice=Changed my mind."]).succeeded)
        let late = try social.sync()
        #expect(late.refused == 1, "a finalised PEP is read-only")
        #expect(try social.show(id).fields["childVoice"] == .string("I want to get better at reading."))
    }
}
