import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// PEP section ownership through the CLI (issue 15 item 5; domain model 2.4): each section's
/// owners write it, everyone else in scope is refused with a message naming who writes it, and the
/// Virtual School writes education, targets and QA only at QA.
@Suite("PEP section ownership, role by role, through the CLI")
struct PepSectionOwnershipTests {
    enum Expected: Equatable {
        case applied
        case refused(code: String)
    }

    /// One field of each section, as typed on the command line, and who may write it in a draft.
    static let sections: [(name: String, field: String, assignment: String, writers: Set<String>, atQAOnly: Set<String>)] = [
        ("header", "academicYear", "academicYear=2026/27", ["SW", "DT", "TM"], []),
        ("care", "careSummaryForSchool", "careSummaryForSchool=Settled with her foster carers.", ["SW", "TM"], []),
        ("education", "strengths", "strengths=Art and music.", ["DT"], ["VSO"]),
        (
            "targets", "targets",
            #"targets=[{"id":"0a1b2c3d-0000-4000-8000-0000000000aa","area":"ACADEMIC","specific":"Read daily"}]"#, ["DT"], ["VSO"]
        ),
        ("voice", "childVoice", "childVoice=I like art.", ["SW", "DT"], []),
        ("QA", "qaRating", "qaRating=GOLD", [], ["VSO"]),
    ]

    @Test("Each section's owners write it in a draft; others are refused naming its writers; the Virtual School waits for QA")
    func everySectionEveryRole() throws {
        let world = try TestWorld()
        let social = try world.device("sally", role: "SW", team: "north")
        let devices: [(role: String, device: Device)] = [
            ("SW", social),
            ("DT", try world.device("dev", role: "DT", team: "oak-academy")),
            ("TM", try world.device("tina", role: "TM", team: "north")),
            ("VSO", try world.device("vera", role: "VSO", team: "virtual-school", shared: false)),
        ]
        let pep = try social.json(LocalRecordView.self, ["pep", "new", "--young-person", world.youngPerson.uuidString, "term=AUTUMN"])
        let id = pep.snapshot.id
        try social.sync()

        for (role, device) in devices {
            for section in Self.sections {
                try device.sync()  // the latest version, so every edit is made on it
                let expected: Expected =
                    section.writers.contains(role)
                    ? .applied : .refused(code: section.atQAOnly.contains(role) ? "not_editable" : "forbidden")
                // The device refuses at once what the server would, in the server's words ...
                let here = try device.run(["set", id.uuidString, section.assignment, "--json"])
                var localReason: String?
                if case .refused(let code) = expected {
                    #expect(here.status == 1 && DeviceStoreTests.error(here)?.code == code, "\(role) \(section.name): \(here.stdout)")
                    localReason = DeviceStoreTests.error(here)?.message.components(separatedBy: " Nothing was saved").first
                    // ... and the server still refuses it when a device does not check.
                    let sent = try device.uncheckedLocally.run(["set", id.uuidString, section.assignment])
                    #expect(sent.succeeded, "\(role) \(section.name): queued unchecked (\(sent.stderr))")
                } else {
                    #expect(here.succeeded, "\(role) \(section.name): the device queues the edit (\(here.stderr))")
                }
                let report = try device.sync()
                switch expected {
                case .applied:
                    #expect(report.refused == 0 && report.applied + report.merged == 1, "\(role) writes the \(section.name)")
                case .refused(let code):
                    #expect(report.refused == 1, "\(role) is refused the \(section.name)")
                    let refusals = try device.json([VerdictView].self, ["verdicts", "--rejected"])
                    let last = try #require(refusals.first { $0.record == id }, "newest first")
                    #expect(last.code == code, "\(role) \(section.name): \(last.code ?? "") \(last.message ?? "")")
                    // A refusal says who writes the section, or (at QA only) when this role may.
                    let says = code == "forbidden" ? "it is written by" : "only in IN_QA"
                    #expect(last.message?.contains(says) == true, "\(role) \(section.name): \(last.message ?? "")")
                    let reason = try #require(localReason)
                    #expect(
                        last.message?.hasPrefix(reason) == true,
                        "the same words on the device and the server: \(reason) | \(last.message ?? "")")
                }
            }
        }
        // What the owners wrote is on the server; what others tried is not.
        try social.sync()
        let stored = try social.show(id).fields
        #expect(stored["strengths"] == .string("Art and music."), "the teacher's education section")
        #expect(stored["careSummaryForSchool"] == .string("Settled with her foster carers."))
        #expect(stored["qaRating"] == nil, "nobody rates a draft")
    }
}
