import FieldSyncProtocol

/// Visits to a child in care: Care Planning, Placement and Case Review (England) Regulations 2010,
/// reg 28(2) (domain model §4.1). The placed-with-parent, reg 24 and long-term-foster variants
/// (V-R19, V-R24, V-CO-P, V-LTF) are not computed here.
extension ComplianceRules {
    static func childInCareVisit(
        _ person: YoungPersonFacts, lastQualifyingVisit last: CalendarDay?, asOf: CalendarDay
    ) -> VisitCompliance {
        // V-START: a new placement resets the schedule until the child is seen in it.
        if let start = person.placementStart, last.map({ $0 < start }) ?? true {
            return visitDue(
                start.adding(days: 7), rule: ComplianceRuleID.visitAfterPlacementStart, lastQualifyingVisit: last,
                asOf: asOf,
                reason: "The placement started on \(start) and the child has not been seen face to face in it, "
                    + "so a visit is needed within a week (reg 28(2)(a))")
        }
        guard let last else {
            return VisitCompliance(
                lastQualifyingVisit: nil, rule: ComplianceRuleID.none, due: nil, status: .noRule,
                explanation: "No placement start and no face-to-face visit seeing the child are recorded, "
                    + "so no visit can be scheduled; record the current placement's start date.")
        }
        guard let start = person.placementStart else {
            // Without a start date the first year cannot be told from the later ones; the
            // 6-week interval is the stricter reading and holds in either case but V-LT.
            return visitDue(
                last.adding(days: 42), rule: ComplianceRuleID.visitOther, lastQualifyingVisit: last, asOf: asOf,
                reason: "The placement start is not recorded, so the 6-week interval is applied from the last visit "
                    + "on \(last) until it is")
        }
        // The first year runs to the day before the anniversary (a 29 February start has its
        // anniversary on 28 February).
        let anniversary = start.adding(months: 12)
        if last < anniversary {
            return visitDue(
                last.adding(days: 42), rule: ComplianceRuleID.visitFirstYear, lastQualifyingVisit: last, asOf: asOf,
                reason: "The last visit on \(last) was in the first year of the placement (started \(start)), "
                    + "so visits are due at most 6 weeks apart (reg 28(2)(b))")
        }
        if person.placementIntendedUntil18 {
            return visitDue(
                last.adding(months: 3), rule: ComplianceRuleID.visitLongTerm, lastQualifyingVisit: last, asOf: asOf,
                reason: "The placement (started \(start)) is past its first year and intended to last until 18, "
                    + "so visits are due at most 3 months after the last one on \(last) (reg 28(2)(c)(i))")
        }
        return visitDue(
            last.adding(days: 42), rule: ComplianceRuleID.visitOther, lastQualifyingVisit: last, asOf: asOf,
            reason: "The placement (started \(start)) is past its first year and not intended to last until 18, "
                + "so visits are due at most 6 weeks after the last one on \(last) (reg 28(2)(c)(ii))")
    }
}
