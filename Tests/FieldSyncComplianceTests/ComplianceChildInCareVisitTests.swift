import FieldSyncCompliance
import FieldSyncProtocol
import Testing

@Suite("Visit rules: children in care (reg 28)")
struct ComplianceChildInCareVisitTests {
    typealias F = ComplianceFixtures

    /// One row of the rule table: a child, their qualifying visits, the day judged on, and the answer.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var placementStart: String?
        var untilEighteen = false
        var seenOn: [String] = []
        let asOf: String
        let rule: String
        let due: String
        let status: ComplianceStatus
        var testDescription: String { name }

        func check() {
            let result = ComplianceRules.visits(
                for: F.childInCare(placementStart: placementStart, untilEighteen: untilEighteen),
                visits: seenOn.map { F.seen($0) }, asOf: F.day(asOf))
            #expect(result.rule == rule)
            #expect(result.due == F.day(due))
            #expect(result.status == status)
            #expect(result.lastQualifyingVisit == seenOn.map(F.day).filter { $0 <= F.day(asOf) }.max())
            #expect(result.explanation.contains(due))
        }
    }

    @Test(arguments: [
        // V-START: within a week of the placement start; the due day is DUE_SOON, the day after OVERDUE.
        Case(
            name: "V-START 8 days before due", placementStart: "2026-03-02", asOf: "2026-03-01", rule: "V-START", due: "2026-03-09",
            status: .ok),
        Case(
            name: "V-START 7 days before due", placementStart: "2026-03-02", asOf: "2026-03-02", rule: "V-START", due: "2026-03-09",
            status: .dueSoon),
        Case(
            name: "V-START on the due day", placementStart: "2026-03-02", asOf: "2026-03-09", rule: "V-START", due: "2026-03-09",
            status: .dueSoon),
        Case(
            name: "V-START the day after", placementStart: "2026-03-02", asOf: "2026-03-10", rule: "V-START", due: "2026-03-09",
            status: .overdue),
        Case(
            name: "a new placement resets the clock", placementStart: "2026-03-02", seenOn: ["2026-02-20"],
            asOf: "2026-03-05", rule: "V-START", due: "2026-03-09", status: .dueSoon),
        Case(
            name: "a visit on the placement's first day counts", placementStart: "2026-03-02", seenOn: ["2026-02-20", "2026-03-02"],
            asOf: "2026-03-05", rule: "V-Y1", due: "2026-04-13", status: .ok),
        // V-Y1: 6 weeks in the first year. Last visit 2 February: due 16 March.
        Case(
            name: "V-Y1 8 days before due", placementStart: "2026-01-05", seenOn: ["2026-01-09", "2026-02-02"], asOf: "2026-03-08",
            rule: "V-Y1", due: "2026-03-16", status: .ok),
        Case(
            name: "V-Y1 7 days before due", placementStart: "2026-01-05", seenOn: ["2026-01-09", "2026-02-02"], asOf: "2026-03-09",
            rule: "V-Y1", due: "2026-03-16", status: .dueSoon),
        Case(
            name: "V-Y1 on the due day", placementStart: "2026-01-05", seenOn: ["2026-02-02"], asOf: "2026-03-16", rule: "V-Y1",
            due: "2026-03-16", status: .dueSoon),
        Case(
            name: "V-Y1 the day after", placementStart: "2026-01-05", seenOn: ["2026-02-02"], asOf: "2026-03-17", rule: "V-Y1",
            due: "2026-03-16", status: .overdue),
        Case(
            name: "a visit after the as-of day is not counted yet", placementStart: "2026-01-05", seenOn: ["2026-02-02", "2026-03-20"],
            asOf: "2026-03-17", rule: "V-Y1", due: "2026-03-16", status: .overdue),
        // First year to later years: the anniversary of a 10 March 2025 placement is 10 March 2026.
        Case(
            name: "last visit the day before the anniversary: still V-Y1", placementStart: "2025-03-10", untilEighteen: true,
            seenOn: ["2026-03-09"], asOf: "2026-03-20", rule: "V-Y1", due: "2026-04-20", status: .ok),
        Case(
            name: "last visit on the anniversary, intended until 18: V-LT", placementStart: "2025-03-10", untilEighteen: true,
            seenOn: ["2026-03-10"], asOf: "2026-03-20", rule: "V-LT", due: "2026-06-10", status: .ok),
        Case(
            name: "last visit on the anniversary, not intended until 18: V-OTHER", placementStart: "2025-03-10",
            seenOn: ["2026-03-10"], asOf: "2026-03-20", rule: "V-OTHER", due: "2026-04-21", status: .ok),
        Case(
            name: "a 29 February placement's first year ends on 28 February: before", placementStart: "2024-02-29", untilEighteen: true,
            seenOn: ["2025-02-27"], asOf: "2025-03-01", rule: "V-Y1", due: "2025-04-10", status: .ok),
        Case(
            name: "a 29 February placement's first year ends on 28 February: on", placementStart: "2024-02-29", untilEighteen: true,
            seenOn: ["2025-02-28"], asOf: "2025-03-01", rule: "V-LT", due: "2025-05-28", status: .ok),
        // V-LT: 3 calendar months, clamped to the month's end.
        Case(
            name: "V-LT from 30 November is 28 February", placementStart: "2024-06-01", untilEighteen: true,
            seenOn: ["2025-11-30"], asOf: "2026-02-21", rule: "V-LT", due: "2026-02-28", status: .dueSoon),
        Case(
            name: "V-LT from 30 November is 29 February in a leap year", placementStart: "2026-06-01", untilEighteen: true,
            seenOn: ["2027-11-30"], asOf: "2028-03-01", rule: "V-LT", due: "2028-02-29", status: .overdue),
        Case(
            name: "V-LT from 31 May is 31 August", placementStart: "2024-06-01", untilEighteen: true,
            seenOn: ["2026-05-31"], asOf: "2026-08-31", rule: "V-LT", due: "2026-08-31", status: .dueSoon),
        Case(
            name: "V-LT the day after the due day", placementStart: "2024-06-01", untilEighteen: true,
            seenOn: ["2025-11-30"], asOf: "2026-03-01", rule: "V-LT", due: "2026-02-28", status: .overdue),
        // V-OTHER: 6 weeks after the first year.
        Case(
            name: "V-OTHER 6 weeks", placementStart: "2024-06-01", seenOn: ["2026-02-02"], asOf: "2026-03-17",
            rule: "V-OTHER", due: "2026-03-16", status: .overdue),
        Case(
            name: "no placement start recorded: 6 weeks, even if intended until 18", untilEighteen: true, seenOn: ["2026-02-02"],
            asOf: "2026-03-01", rule: "V-OTHER", due: "2026-03-16", status: .ok),
    ])
    func ruleTable(_ row: Case) {
        row.check()
    }

    /// Records that must not count as a visit, or move the clock, after a qualifying visit on
    /// 2 February 2026 (due 16 March).
    @Test(arguments: [
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: false, state: "COMPLETED"),  // NOT_SEEN
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: false, state: "AUTHORISED"),  // NOT_SEEN, authorised
        VisitFact(day: F.day("2026-03-10"), contactMode: "PHONE", childSeen: true, state: "COMPLETED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "VIDEO", childSeen: true, state: "AUTHORISED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "MESSAGE", childSeen: true, state: "SUBMITTED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: nil, state: "COMPLETED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: true, state: "DRAFT"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: true, state: "SCHEDULED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: true, state: "CANCELLED"),
    ])
    func visitsThatDoNotCountDoNotResetTheClock(_ other: VisitFact) {
        #expect(!other.isQualifying)
        let result = ComplianceRules.visits(
            for: F.childInCare(placementStart: "2026-01-05"), visits: [F.seen("2026-02-02"), other],
            asOf: F.day("2026-03-17"))
        #expect(result.lastQualifyingVisit == F.day("2026-02-02"))
        #expect(result.due == F.day("2026-03-16"))
        #expect(result.status == .overdue)
    }

    @Test(arguments: ["COMPLETED", "SUBMITTED", "AUTHORISED", "RETURNED"])
    func completedOrLaterCounts(_ state: String) {
        let result = ComplianceRules.visits(
            for: F.childInCare(placementStart: "2026-01-05"),
            visits: [F.seen("2026-02-02"), F.seen("2026-03-10", state: state)], asOf: F.day("2026-03-17"))
        #expect(result.lastQualifyingVisit == F.day("2026-03-10"))
        #expect(result.due == F.day("2026-04-21"))
        #expect(result.status == .ok)
    }

    @Test func withNeitherAPlacementStartNorAVisitNoRuleApplies() {
        let result = ComplianceRules.visits(
            for: F.childInCare(placementStart: nil),
            visits: [VisitFact(day: F.day("2026-03-10"), contactMode: "PHONE", childSeen: true, state: "COMPLETED")],
            asOf: F.day("2026-03-17"))
        #expect(result.status == .noRule)
        #expect(result.rule == ComplianceRuleID.none)
        #expect(result.due == nil && result.lastQualifyingVisit == nil)
        #expect(result.explanation.contains("record the current placement's start date"))
    }

    @Test(arguments: [
        (
            "2026-03-10",
            "The placement started on 2026-03-02 and the child has not been seen face to face in it, so a visit is needed within a week (reg 28(2)(a)); the next visit was due by 2026-03-09 and is 1 day overdue."
        ),
        (
            "2026-03-13",
            "The placement started on 2026-03-02 and the child has not been seen face to face in it, so a visit is needed within a week (reg 28(2)(a)); the next visit was due by 2026-03-09 and is 4 days overdue."
        ),
        (
            "2026-03-09",
            "The placement started on 2026-03-02 and the child has not been seen face to face in it, so a visit is needed within a week (reg 28(2)(a)); the next visit is due today (2026-03-09)."
        ),
        (
            "2026-03-08",
            "The placement started on 2026-03-02 and the child has not been seen face to face in it, so a visit is needed within a week (reg 28(2)(a)); the next visit is due by 2026-03-09, in 1 day."
        ),
        (
            "2026-03-01",
            "The placement started on 2026-03-02 and the child has not been seen face to face in it, so a visit is needed within a week (reg 28(2)(a)); the next visit is due by 2026-03-09."
        ),
    ])
    func explanationSaysWhatToDo(_ asOf: String, _ sentence: String) {
        let result = ComplianceRules.visits(for: F.childInCare(placementStart: "2026-03-02"), visits: [], asOf: F.day(asOf))
        #expect(result.explanation == sentence)
    }

    @Test func visitFactFromARecordUsesTheLondonDayOfActualStart() throws {
        let fact = try #require(
            VisitFact(
                state: "SUBMITTED",
                fields: ["actualStart": "2026-07-01T23:30:00Z", "contactMode": "FACE_TO_FACE", "childSeen": true]))
        #expect(fact == VisitFact(day: F.day("2026-07-02"), contactMode: "FACE_TO_FACE", childSeen: true, state: "SUBMITTED"))
        #expect(fact.isQualifying)
        #expect(VisitFact(state: "DRAFT", fields: ["contactMode": "FACE_TO_FACE"]) == nil)
        #expect(VisitFact(state: "DRAFT", fields: ["actualStart": "2026-07-01"]) == nil)
    }
}
