import FieldSyncProtocol

/// The compliance rules a supervisor needs computed (domain model §4), as pure functions of a
/// young person's facts, their records and the day to judge on (`asOf`, a London date).
///
/// - Visits: ``visits(for:visits:asOf:careLeaverLocalStandardDays:)``; the child-in-care rules are
///   in `ComplianceRules+ChildInCare.swift`, the care-leaver rules in `ComplianceRules+CareLeaver.swift`.
/// - PEPs: ``pep(for:peps:asOf:calendar:)`` in `ComplianceRules+Pep.swift`.
public enum ComplianceRules {
    /// The local care-leaver standard (CL-8W): a face-to-face visit every 8 weeks.
    public static let defaultCareLeaverLocalStandardDays = 56

    /// When the next visit is due and how that stands on `asOf`.
    ///
    /// Only qualifying visits (``VisitFact/isQualifying``) count, and only those on or before
    /// `asOf`, so the answer for a past day is what it was on that day and a visit dated in the
    /// future (a wrong device clock) does not hide an overdue one.
    /// - Parameter careLeaverLocalStandardDays: the local care-leaver interval in days (CL-8W), or
    ///   nil where no local standard applies and only the 2-month statutory interval (CL-2M) does.
    public static func visits(
        for person: YoungPersonFacts, visits: [VisitFact], asOf: CalendarDay,
        careLeaverLocalStandardDays: Int? = defaultCareLeaverLocalStandardDays
    ) -> VisitCompliance {
        let last = visits.lazy.filter { $0.isQualifying && $0.day <= asOf }.map(\.day).max()
        switch person.cohort {
        case .childInCare:
            return childInCareVisit(person, lastQualifyingVisit: last, asOf: asOf)
        case .careLeaver:
            return careLeaverVisit(
                person, lastQualifyingVisit: last, asOf: asOf, localStandardDays: careLeaverLocalStandardDays)
        }
    }

    /// A visit result with a due date: the status from the due date, and the explanation as
    /// `reason` followed by what the status means ("…; the next visit is due by 2026-03-09.").
    static func visitDue(
        _ due: CalendarDay, rule: String, lastQualifyingVisit: CalendarDay?, asOf: CalendarDay, reason: String
    ) -> VisitCompliance {
        VisitCompliance(
            lastQualifyingVisit: lastQualifyingVisit, rule: rule, due: due,
            status: .against(due: due, asOf: asOf),
            explanation: "\(reason); the next visit \(DueWording.phrase(due: due, asOf: asOf)).")
    }
}
