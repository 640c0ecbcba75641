import FieldSyncCompliance
import FieldSyncProtocol
import Foundation
import Testing

@Suite("PEP rules: the initial PEP and the termly review")
struct CompliancePepTests {
    typealias F = ComplianceFixtures
    let calendar = WorkingDayCalendar.englandAndWales

    @Test(arguments: [
        ("2026-09-01", "2026/27", SchoolTerm.Name.autumn, "2026-10-13"), ("2026-12-31", "2026/27", .autumn, "2026-10-13"),
        ("2027-01-01", "2026/27", .spring, "2027-02-12"), ("2027-03-31", "2026/27", .spring, "2027-02-12"),
        ("2027-04-01", "2026/27", .summer, "2027-05-13"), ("2027-08-31", "2026/27", .summer, "2027-05-13"),
        ("2099-09-01", "2099/00", .autumn, "2099-10-13"), ("2009-09-30", "2009/10", .autumn, "2009-10-13"),
    ])
    func termFromTheDay(_ asOf: String, _ year: String, _ term: SchoolTerm.Name, _ deadline: String) {
        let schoolTerm = SchoolTerm(containing: F.day(asOf))
        #expect(schoolTerm.academicYear == year)
        #expect(schoolTerm.name == term)
        #expect(schoolTerm.start.adding(days: ComplianceRules.termPepDeadlineDays) == F.day(deadline))
        let result = ComplianceRules.pep(for: F.pepAgeChild(enteredCare: nil), peps: [], asOf: F.day(asOf), calendar: calendar)
        #expect(result.academicYear == year && result.term == term.rawValue)
        #expect(result.due == F.day(deadline))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        var enteredCare: String?
        var peps: [PepFact] = []
        let asOf: String
        let rule: String
        let due: String
        let status: ComplianceStatus
        var currentTermState: String?
        var testDescription: String { name }
    }

    static let submittedInitial = F.pep("2026/27", "AUTUMN", "INITIAL", "FINALISED")

    @Test(arguments: [
        // P-INIT: 20 working days after entering care; over Christmas 2026 that is 14 January.
        Case(
            name: "P-INIT 8 days before due", enteredCare: "2026-12-14", asOf: "2027-01-06", rule: "P-INIT", due: "2027-01-14", status: .ok),
        Case(
            name: "P-INIT 7 days before due", enteredCare: "2026-12-14", asOf: "2027-01-07", rule: "P-INIT", due: "2027-01-14",
            status: .dueSoon),
        Case(
            name: "P-INIT on the due day", enteredCare: "2026-12-14", asOf: "2027-01-14", rule: "P-INIT", due: "2027-01-14",
            status: .dueSoon),
        Case(
            name: "P-INIT the day after", enteredCare: "2026-12-14", asOf: "2027-01-15", rule: "P-INIT", due: "2027-01-14", status: .overdue
        ),
        // Over Easter 2027: 15 March + 20 working days is 14 April.
        Case(
            name: "P-INIT over Easter, due day", enteredCare: "2027-03-15", asOf: "2027-04-14", rule: "P-INIT", due: "2027-04-14",
            status: .dueSoon),
        Case(
            name: "P-INIT over Easter, day after", enteredCare: "2027-03-15", asOf: "2027-04-15", rule: "P-INIT", due: "2027-04-14",
            status: .overdue),
        Case(
            name: "an initial PEP not yet submitted keeps P-INIT", enteredCare: "2026-12-14",
            peps: [F.pep("2026/27", "AUTUMN", "INITIAL", "READY_TO_SUBMIT")], asOf: "2027-01-15", rule: "P-INIT",
            due: "2027-01-14", status: .overdue),
        Case(
            name: "an initial PEP returned for amendment keeps P-INIT", enteredCare: "2026-12-14",
            peps: [F.pep("2026/27", "SPRING", "INITIAL", "RETURNED_FOR_AMENDMENT")], asOf: "2027-01-15", rule: "P-INIT",
            due: "2027-01-14", status: .overdue, currentTermState: "RETURNED_FOR_AMENDMENT"),
        Case(
            name: "a termly PEP is not the initial PEP", enteredCare: "2026-12-14",
            peps: [F.pep("2026/27", "SPRING", "TERMLY_REVIEW", "SUBMITTED")], asOf: "2027-01-15", rule: "P-INIT",
            due: "2027-01-14", status: .overdue, currentTermState: "SUBMITTED"),
        // P-TERM: submitted by 6 weeks into the term (AUTUMN 2026: 13 October).
        Case(name: "P-TERM 8 days before the deadline", asOf: "2026-10-05", rule: "P-TERM", due: "2026-10-13", status: .ok),
        Case(name: "P-TERM 7 days before the deadline", asOf: "2026-10-06", rule: "P-TERM", due: "2026-10-13", status: .dueSoon),
        Case(name: "P-TERM on the deadline", asOf: "2026-10-13", rule: "P-TERM", due: "2026-10-13", status: .dueSoon),
        Case(name: "P-TERM the day after", asOf: "2026-10-14", rule: "P-TERM", due: "2026-10-13", status: .overdue),
        Case(name: "P-TERM spring deadline", asOf: "2027-02-13", rule: "P-TERM", due: "2027-02-12", status: .overdue),
        Case(
            name: "initial PEP submitted: P-TERM applies", enteredCare: "2026-09-07", peps: [submittedInitial],
            asOf: "2027-02-13", rule: "P-TERM", due: "2027-02-12", status: .overdue),
        Case(
            name: "a PEP in progress is reported but is not enough", enteredCare: "2026-09-07",
            peps: [
                submittedInitial, F.pep("2026/27", "SPRING", "TERMLY_REVIEW", "DRAFTING"),
                F.pep("2026/27", "SPRING", "TERMLY_REVIEW", "MEETING_HELD"),
            ],
            asOf: "2027-02-13", rule: "P-TERM", due: "2027-02-12", status: .overdue, currentTermState: "MEETING_HELD"),
        Case(
            name: "returned for amendment ranks above ready to submit, and does not count",
            peps: [F.pep("2026/27", "SPRING", nil, "READY_TO_SUBMIT"), F.pep("2026/27", "SPRING", nil, "RETURNED_FOR_AMENDMENT")],
            asOf: "2027-02-06", rule: "P-TERM", due: "2027-02-12", status: .dueSoon, currentTermState: "RETURNED_FOR_AMENDMENT"),
        Case(
            name: "submitted after the deadline is up to date",
            peps: [F.pep("2026/27", "SPRING", nil, "RETURNED_FOR_AMENDMENT"), F.pep("2026/27", "SPRING", nil, "SUBMITTED")],
            asOf: "2027-03-20", rule: "P-TERM", due: "2027-02-12", status: .ok, currentTermState: "SUBMITTED"),
        Case(
            name: "a PEP for another term does not count",
            peps: [F.pep("2025/26", "SUMMER", nil, "FINALISED"), F.pep("2025/26", "AUTUMN", nil, "FINALISED")],
            asOf: "2026-10-14", rule: "P-TERM", due: "2026-10-13", status: .overdue),
        // Entered care after the term's deadline with the initial PEP done: up to date for the term.
        Case(
            name: "entered care after the deadline, initial PEP done", enteredCare: "2026-10-20",
            peps: [F.pep("2025/26", "SUMMER", "INITIAL", "SUBMITTED")], asOf: "2026-12-01", rule: "P-TERM",
            due: "2026-10-13", status: .ok),
        Case(
            name: "entered care before the deadline, initial PEP done in another term", enteredCare: "2026-09-20",
            peps: [F.pep("2025/26", "SUMMER", "INITIAL", "SUBMITTED")], asOf: "2026-12-01", rule: "P-TERM",
            due: "2026-10-13", status: .overdue),
    ])
    func ruleTable(_ row: Case) {
        let result = ComplianceRules.pep(
            for: F.pepAgeChild(enteredCare: row.enteredCare), peps: row.peps, asOf: F.day(row.asOf), calendar: calendar)
        #expect(result.rule == row.rule)
        #expect(result.due == F.day(row.due))
        #expect(result.status == row.status)
        #expect(result.currentTermState == row.currentTermState)
        #expect(result.explanation.contains(row.due))
    }

    @Test(arguments: ["SUBMITTED", "IN_QA", "FINALISED", "SUPERSEDED"])
    func anInitialPepSubmittedOrLaterEndsPInit(_ state: String) {
        let result = ComplianceRules.pep(
            for: F.pepAgeChild(enteredCare: "2026-12-14"), peps: [F.pep("2026/27", "SPRING", "INITIAL", state)],
            asOf: F.day("2027-01-15"), calendar: calendar)
        #expect(result.rule == ComplianceRuleID.pepTermly)
        #expect(result.status == .ok)
        #expect(result.currentTermState == state)
    }

    @Test func notOfPepAgeNoRuleApplies() {
        let person = YoungPersonFacts(id: F.personID, cohort: .childInCare, enteredCare: F.day("2026-12-14"), pepAge: false)
        let result = ComplianceRules.pep(
            for: person, peps: [F.pep("2026/27", "SPRING", nil, "DRAFTING")], asOf: F.day("2027-01-15"), calendar: calendar)
        #expect(result.status == .noRule)
        #expect(result.rule == ComplianceRuleID.none)
        #expect(result.due == nil)
        #expect(result.academicYear == "2026/27" && result.term == "SPRING")
        #expect(result.currentTermState == "DRAFTING")
    }

    @Test func explanationsSayWhatToDo() {
        let initial = ComplianceRules.pep(
            for: F.pepAgeChild(enteredCare: "2026-12-14"), peps: [], asOf: F.day("2027-01-15"), calendar: calendar)
        #expect(
            initial.explanation
                == "Entered care on 2026-12-14 and no initial PEP has been submitted, and it must be ready for the first "
                + "review 20 working days later; the initial PEP was due by 2027-01-14 and is 1 day overdue.")
        let termly = ComplianceRules.pep(
            for: F.pepAgeChild(enteredCare: nil), peps: [F.pep("2026/27", "AUTUMN", nil, "DRAFTING")],
            asOf: F.day("2026-10-10"), calendar: calendar)
        #expect(
            termly.explanation
                == "No 2026/27 AUTUMN PEP has been submitted (the furthest has reached DRAFTING), and it must be within "
                + "6 weeks of the term's start; this term's PEP is due by 2026-10-13, in 3 days.")
    }

    @Test func pepFactFromARecord() throws {
        let fact = try #require(
            PepFact(state: "IN_QA", fields: ["academicYear": "2026/27", "term": "AUTUMN", "pepType": "INITIAL"]))
        #expect(fact == F.pep("2026/27", "AUTUMN", "INITIAL", "IN_QA"))
        #expect(fact.isSubmitted)
        #expect(PepFact(state: "DRAFTING", fields: ["term": "AUTUMN"]) == nil)
    }

    @Test func youngPersonFactsEncodeWithWireNames() throws {
        let person = YoungPersonFacts(
            id: F.personID, cohort: .careLeaver, accommodationStart: F.day("2026-04-01"), pepAge: false)
        let json = String(decoding: try JSONEncoder().encode(person), as: UTF8.self)
        #expect(json.contains(#""cohort":"CARE_LEAVER""#))
        #expect(json.contains(#""accommodationStart":"2026-04-01""#))
        #expect(try JSONDecoder().decode(YoungPersonFacts.self, from: Data(json.utf8)) == person)
    }
}
