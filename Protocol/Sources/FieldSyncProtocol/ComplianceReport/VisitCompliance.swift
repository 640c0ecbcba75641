/// When a young person's next statutory visit is due, under which rule, and how that stands today.
public struct VisitCompliance: Sendable, Hashable, Codable {
    /// The London date of the latest qualifying visit on or before the as-of day.
    public var lastQualifyingVisit: CalendarDay?
    /// The rule id (``ComplianceRuleID``) the due date comes from.
    public var rule: String
    /// Nil only when the status is ``ComplianceStatus/noRule``.
    public var due: CalendarDay?
    public var status: ComplianceStatus
    /// One sentence a supervisor can act on.
    public var explanation: String

    public init(
        lastQualifyingVisit: CalendarDay?, rule: String, due: CalendarDay?, status: ComplianceStatus,
        explanation: String
    ) {
        self.lastQualifyingVisit = lastQualifyingVisit
        self.rule = rule
        self.due = due
        self.status = status
        self.explanation = explanation
    }
}
