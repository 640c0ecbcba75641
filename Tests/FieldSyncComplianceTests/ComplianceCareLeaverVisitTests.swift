import FieldSyncCompliance
import FieldSyncProtocol
import Testing

@Suite("Visit rules: care leavers (reg 8 and the local 8-week standard)")
struct ComplianceCareLeaverVisitTests {
    typealias F = ComplianceFixtures

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var accommodationStart: String?
        var seenOn: [String] = []
        /// The local standard in days; nil for none (only CL-2M).
        var localStandardDays: Int? = 56
        let asOf: String
        let rule: String
        let due: String
        let status: ComplianceStatus
        var testDescription: String { name }

        func check() {
            let result = ComplianceRules.visits(
                for: F.careLeaver(accommodationStart: accommodationStart), visits: seenOn.map { F.seen($0) },
                asOf: F.day(asOf), careLeaverLocalStandardDays: localStandardDays)
            #expect(result.rule == rule)
            #expect(result.due == F.day(due))
            #expect(result.status == status)
            #expect(result.explanation.contains(due))
        }
    }

    @Test(arguments: [
        // CL-ACC7: within 7 days of accommodation first being provided.
        Case(
            name: "CL-ACC7 8 days before due", accommodationStart: "2026-04-01", asOf: "2026-03-31", rule: "CL-ACC7", due: "2026-04-08",
            status: .ok),
        Case(
            name: "CL-ACC7 on the start day", accommodationStart: "2026-04-01", asOf: "2026-04-01", rule: "CL-ACC7", due: "2026-04-08",
            status: .dueSoon),
        Case(
            name: "CL-ACC7 on the due day", accommodationStart: "2026-04-01", asOf: "2026-04-08", rule: "CL-ACC7", due: "2026-04-08",
            status: .dueSoon),
        Case(
            name: "CL-ACC7 the day after", accommodationStart: "2026-04-01", asOf: "2026-04-09", rule: "CL-ACC7", due: "2026-04-08",
            status: .overdue),
        Case(
            name: "new accommodation resets the clock", accommodationStart: "2026-04-01", seenOn: ["2026-03-20"],
            asOf: "2026-04-09", rule: "CL-ACC7", due: "2026-04-08", status: .overdue),
        Case(
            name: "a visit on the accommodation's first day counts", accommodationStart: "2026-04-01", seenOn: ["2026-04-01"],
            asOf: "2026-04-09", rule: "CL-8W", due: "2026-05-27", status: .ok),
        // Default: 56 days is always earlier than 2 calendar months (at least 59 days).
        Case(name: "CL-8W over a 31-day month", seenOn: ["2026-01-31"], asOf: "2026-03-20", rule: "CL-8W", due: "2026-03-28", status: .ok),
        Case(
            name: "CL-8W 7 days before due", seenOn: ["2026-01-31"], asOf: "2026-03-21", rule: "CL-8W", due: "2026-03-28", status: .dueSoon),
        Case(name: "CL-8W on the due day", seenOn: ["2026-01-31"], asOf: "2026-03-28", rule: "CL-8W", due: "2026-03-28", status: .dueSoon),
        Case(name: "CL-8W the day after", seenOn: ["2026-01-31"], asOf: "2026-03-29", rule: "CL-8W", due: "2026-03-28", status: .overdue),
        Case(name: "CL-8W over February", seenOn: ["2026-12-31"], asOf: "2027-01-10", rule: "CL-8W", due: "2027-02-25", status: .ok),
        // A longer local standard (60 days) shows the earlier-of rule both ways.
        Case(
            name: "over February 2 months (59 days) is earlier than 60 days", seenOn: ["2026-12-31"], localStandardDays: 60,
            asOf: "2027-02-28", rule: "CL-2M", due: "2027-02-28", status: .dueSoon),
        Case(
            name: "over August 60 days is earlier than 2 months (61 days)", seenOn: ["2026-07-31"], localStandardDays: 60,
            asOf: "2026-09-30", rule: "CL-8W", due: "2026-09-29", status: .overdue),
        Case(
            name: "on a tie the statutory rule is named", seenOn: ["2026-12-31"], localStandardDays: 59,
            asOf: "2027-03-01", rule: "CL-2M", due: "2027-02-28", status: .overdue),
        Case(
            name: "with no local standard only CL-2M applies", seenOn: ["2026-01-31"], localStandardDays: nil,
            asOf: "2026-03-29", rule: "CL-2M", due: "2026-03-31", status: .dueSoon),
    ])
    func ruleTable(_ row: Case) {
        row.check()
    }

    /// With the default 56 days, CL-8W is due first for every possible last visit (two calendar
    /// months are never shorter than 59 days), so CL-2M is named only when the local standard is
    /// configured longer or off.
    @Test func eightWeeksIsAlwaysEarlierThanTwoMonths() {
        var last = F.day("2024-01-01")
        while last <= F.day("2028-12-31") {
            #expect(last.adding(days: 56) < last.adding(months: 2), "\(last)")
            #expect(last.days(until: last.adding(months: 2)) >= 59, "\(last)")
            last = last.adding(days: 1)
        }
    }

    @Test(arguments: [
        VisitFact(day: F.day("2026-03-10"), contactMode: "FACE_TO_FACE", childSeen: false, state: "COMPLETED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "PHONE", childSeen: true, state: "SUBMITTED"),
        VisitFact(day: F.day("2026-03-10"), contactMode: "MESSAGE", childSeen: true, state: "AUTHORISED"),
    ])
    func keepingInTouchAndNotSeenDoNotResetTheClock(_ other: VisitFact) {
        let result = ComplianceRules.visits(
            for: F.careLeaver(accommodationStart: nil), visits: [F.seen("2026-01-31"), other], asOf: F.day("2026-03-29"))
        #expect(result.lastQualifyingVisit == F.day("2026-01-31"))
        #expect(result.due == F.day("2026-03-28"))
        #expect(result.status == .overdue)
    }

    @Test func withNeitherAccommodationNorAVisitNoRuleApplies() {
        let result = ComplianceRules.visits(for: F.careLeaver(accommodationStart: nil), visits: [], asOf: F.day("2026-03-17"))
        #expect(result.status == .noRule)
        #expect(result.rule == ComplianceRuleID.none)
        #expect(result.due == nil)
        #expect(result.explanation.contains("record the last visit or the date accommodation was provided"))
    }

    @Test func explanationNamesTheLocalStandard() {
        let result = ComplianceRules.visits(
            for: F.careLeaver(accommodationStart: nil), visits: [F.seen("2026-01-31")], asOf: F.day("2026-03-30"))
        #expect(
            result.explanation
                == "The local standard is a face-to-face visit every 8 weeks, sooner than the 2-month statutory interval, "
                + "after the last visit on 2026-01-31; the next visit was due by 2026-03-28 and is 2 days overdue.")
    }
}
