import FieldSyncProtocol

/// Personal adviser visits to a care leaver: Care Leavers (England) Regulations 2010 reg 8(2) and
/// the local 8-week standard (domain model §4.3). The visit before each pathway-plan review
/// (CL-PRE) and the agreed frequency for 21 to 25 year olds (CL-21P) are not computed here.
extension ComplianceRules {
    static func careLeaverVisit(
        _ person: YoungPersonFacts, lastQualifyingVisit last: CalendarDay?, asOf: CalendarDay, localStandardDays: Int?
    ) -> VisitCompliance {
        // CL-ACC7: new accommodation under s23B/s24B resets the schedule until the young person is seen there.
        if let start = person.accommodationStart, last.map({ $0 < start }) ?? true {
            return visitDue(
                start.adding(days: 7), rule: ComplianceRuleID.careLeaverNewAccommodation, lastQualifyingVisit: last,
                asOf: asOf,
                reason: "Accommodation was first provided on \(start) and the young person has not been seen face to "
                    + "face since, so a visit is needed within 7 days (Care Leavers Regs reg 8(2))")
        }
        guard let last else {
            return VisitCompliance(
                lastQualifyingVisit: nil, rule: ComplianceRuleID.none, due: nil, status: .noRule,
                explanation: "No face-to-face visit seeing the young person and no accommodation start are recorded, "
                    + "so no visit can be scheduled; record the last visit or the date accommodation was provided.")
        }
        // Due at the earlier of the two; on a tie the statutory rule is named.
        let statutoryDue = last.adding(months: 2)
        if let localStandardDays, last.adding(days: localStandardDays) < statutoryDue {
            return visitDue(
                last.adding(days: localStandardDays), rule: ComplianceRuleID.careLeaverEightWeeks,
                lastQualifyingVisit: last, asOf: asOf,
                reason: "The local standard is a face-to-face visit every \(interval(days: localStandardDays)), "
                    + "sooner than the 2-month statutory interval, after the last visit on \(last)")
        }
        return visitDue(
            statutoryDue, rule: ComplianceRuleID.careLeaverTwoMonths, lastQualifyingVisit: last, asOf: asOf,
            reason: "Visits are due at most 2 months apart (Care Leavers Regs reg 8(2)) "
                + "after the last visit on \(last)")
    }

    /// "8 weeks", or "60 days" when not a whole number of weeks.
    private static func interval(days: Int) -> String {
        days % 7 == 0 ? (days == 7 ? "week" : "\(days / 7) weeks") : DueWording.days(days)
    }
}
