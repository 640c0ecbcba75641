/// Where a young person stands against a due date, for the supervisor's RAG view (domain model §4.1).
public enum ComplianceStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not due for more than ``dueSoonWindowDays`` days, or already done.
    case ok = "OK"
    /// Due within ``dueSoonWindowDays`` days, the due day itself included.
    case dueSoon = "DUE_SOON"
    /// The due day has passed.
    case overdue = "OVERDUE"
    /// No rule applies, or the facts needed to pick one are missing (the explanation says which).
    case noRule = "NO_RULE"

    /// How many days before the due day a visit or PEP shows as due soon.
    public static let dueSoonWindowDays = 7

    /// OVERDUE after the due day; DUE_SOON from 7 days before it up to and including the due day;
    /// otherwise OK.
    public static func against(due: CalendarDay, asOf: CalendarDay) -> ComplianceStatus {
        let daysLeft = asOf.days(until: due)
        if daysLeft < 0 { return .overdue }
        return daysLeft <= dueSoonWindowDays ? .dueSoon : .ok
    }
}
