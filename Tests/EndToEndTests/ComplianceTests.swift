import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Compliance report")
struct ComplianceTests {
    @Test("Statutory visit and PEP timeliness per young person, judged on a given date")
    func complianceReport() throws {
        let world = try TestWorld()
        let alice = try world.device("alice", team: "north")
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let yp = world.youngPerson
        let facts = try world.admin([
            "young-person", "set", "--id", yp.uuidString, "--cohort", "CLA", "--placement-start", "2026-10-01", "--entered-care",
            "2026-10-01", "--pep-age",
        ])
        #expect(facts.succeeded, "\(facts.stderr)")
        let other = UUID()
        try world.allocate(other, to: "alice", role: "key")
        #expect(
            try world.admin([
                "young-person", "set", "--id", other.uuidString, "--cohort", "CARE_LEAVER", "--accommodation-start", "2026-11-02",
            ]).succeeded)

        // A qualifying visit on 5 October (face to face, child seen, completed).
        let visit = try alice.newVisit(
            ReviewTests.completeVisit.map {
                $0.hasPrefix("actualStart")
                    ? "actualStart=2026-10-05T10:00:00Z" : $0.hasPrefix("actualEnd") ? "actualEnd=2026-10-05T11:00:00Z" : $0
            })
        #expect(try alice.run(["transition", visit.uuidString, "COMPLETED"]).succeeded)
        // A phone call later does not count.
        _ = try alice.newVisit(["kind=CLA_STATUTORY", "contactMode=PHONE", "actualStart=2026-11-01T10:00:00Z"])
        try alice.sync()

        func report(_ asOf: String) throws -> [String: ComplianceRow] {
            let rows = try manager.json([ComplianceRow].self, ["report", "compliance", "--as-of", asOf])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.youngPerson, $0) })
        }
        let late = try report("2026-11-20")
        let row = try #require(late[yp.uuidString.lowercased()])
        #expect(row.visits.rule == "V-Y1")
        #expect(row.visits.lastQualifyingVisit?.description == "2026-10-05")
        #expect(row.visits.due?.description == "2026-11-16", "5 October + 6 weeks")
        #expect(row.visits.status == .overdue)
        #expect(row.keyWorker == "alice")
        let pep = try #require(row.pep)
        #expect(pep.rule == "P-INIT" && pep.due?.description == "2026-10-29" && pep.status == .overdue, "20 working days from 1 October")
        #expect(try report("2026-11-10")[yp.uuidString.lowercased()]?.visits.status == .dueSoon)
        #expect(try report("2026-11-01")[yp.uuidString.lowercased()]?.visits.status == .ok)

        let leaver = try #require(late[other.uuidString.lowercased()])
        #expect(leaver.visits.rule == "CL-ACC7" && leaver.visits.due?.description == "2026-11-09" && leaver.visits.status == .overdue)

        // A team manager of another team sees neither.
        let outsider = try world.device("omar", role: "TM", team: "south", shared: false)
        #expect(try outsider.json([ComplianceRow].self, ["report", "compliance", "--as-of", "2026-11-20"]).isEmpty)
    }
}
