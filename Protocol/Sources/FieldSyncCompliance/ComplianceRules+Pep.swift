import FieldSyncProtocol

/// PEP rules (domain model §4.4): the initial PEP (P-INIT) and the termly review (P-TERM).
extension ComplianceRules {
    /// How many working days after entering care the initial PEP is due: it must be available for
    /// the first looked-after review, which falls within 20 working days.
    public static let initialPepWorkingDays = 20

    /// How long into a term its PEP may be submitted [D]: 6 weeks (42 days) from the term's
    /// start, a stand-in for the local "within the first half-term" deadlines until Hampshire's
    /// own term dates are known (domain model §7, question 3).
    public static let termPepDeadlineDays = 42

    /// Where the PEP stands on `asOf` for a young person of PEP age.
    ///
    /// While the initial PEP is outstanding (no `INITIAL` PEP submitted or later) for a young
    /// person with an `enteredCare` date, P-INIT governs: due 20 working days after entering care.
    /// Otherwise P-TERM: the current term's PEP (``SchoolTerm``) must be submitted by the term
    /// start + 6 weeks. A young person who entered care after that deadline, with the initial PEP
    /// submitted, is up to date for the term (domain model §4.4, "PEP up to date").
    public static func pep(
        for person: YoungPersonFacts, peps: [PepFact], asOf: CalendarDay, calendar: WorkingDayCalendar
    ) -> PepCompliance {
        let term = SchoolTerm(containing: asOf)
        let currentTermState = peps.lazy
            .filter { $0.academicYear == term.academicYear && $0.term == term.name.rawValue }
            .map(\.state)
            .max { PepFact.progress(ofState: $0) < PepFact.progress(ofState: $1) }

        func result(
            _ rule: String, due: CalendarDay?, status: ComplianceStatus, _ explanation: String
        ) -> PepCompliance {
            PepCompliance(
                academicYear: term.academicYear, term: term.name.rawValue, currentTermState: currentTermState, due: due,
                status: status, rule: rule, explanation: explanation)
        }

        guard person.pepAge else {
            return result(
                ComplianceRuleID.none, due: nil, status: .noRule,
                "Not of PEP age (early years to Y13), so no PEP is required; update the record if that has changed.")
        }

        let initialSubmitted = peps.contains { $0.pepType == "INITIAL" && $0.isSubmitted }
        if let entered = person.enteredCare, !initialSubmitted {
            let due = calendar.adding(workingDays: initialPepWorkingDays, to: entered)
            return result(
                ComplianceRuleID.pepInitial, due: due, status: .against(due: due, asOf: asOf),
                "Entered care on \(entered) and no initial PEP has been submitted, and it must be ready for the first "
                    + "review 20 working days later; the initial PEP \(DueWording.phrase(due: due, asOf: asOf)).")
        }

        let deadline = term.start.adding(days: termPepDeadlineDays)
        if let currentTermState, PepFact.submittedStates.contains(currentTermState) {
            return result(
                ComplianceRuleID.pepTermly, due: deadline, status: .ok,
                "The \(term) PEP has reached \(currentTermState), so the PEP is up to date for this term "
                    + "(deadline \(deadline)).")
        }
        if let entered = person.enteredCare, entered > deadline, initialSubmitted {
            return result(
                ComplianceRuleID.pepTermly, due: deadline, status: .ok,
                "Entered care on \(entered), after this term's PEP deadline (\(deadline)), and the initial PEP has "
                    + "been submitted, so it stands as the \(term) PEP.")
        }
        let progress = currentTermState.map { "the furthest has reached \($0)" } ?? "none has been started"
        return result(
            ComplianceRuleID.pepTermly, due: deadline, status: .against(due: deadline, asOf: asOf),
            "No \(term) PEP has been submitted (\(progress)), and it must be within 6 weeks of the term's start; "
                + "this term's PEP \(DueWording.phrase(due: deadline, asOf: asOf)).")
    }
}
