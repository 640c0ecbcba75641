/// Where a young person's PEP stands for the current term.
public struct PepCompliance: Sendable, Hashable, Codable {
    /// The current academic year (`2026/27`), from the as-of day.
    public var academicYear: String
    /// The current term (`AUTUMN`, `SPRING`, `SUMMER`), from the as-of day.
    public var term: String
    /// The most advanced state among the PEPs for the current academic year and term; nil if none.
    public var currentTermState: String?
    /// Nil only when the status is ``ComplianceStatus/noRule``.
    public var due: CalendarDay?
    public var status: ComplianceStatus
    /// The rule id (``ComplianceRuleID``) the due date comes from.
    public var rule: String
    /// One sentence a supervisor can act on.
    public var explanation: String

    public init(
        academicYear: String, term: String, currentTermState: String?, due: CalendarDay?, status: ComplianceStatus,
        rule: String, explanation: String
    ) {
        self.academicYear = academicYear
        self.term = term
        self.currentTermState = currentTermState
        self.due = due
        self.status = status
        self.rule = rule
        self.explanation = explanation
    }
}
