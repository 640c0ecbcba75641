import FieldSyncProtocol

/// The end of an explanation sentence: what the status means for the due day, in words a
/// supervisor acts on ("was due by 2026-03-09 and is 2 days overdue").
enum DueWording {
    static func phrase(due: CalendarDay, asOf: CalendarDay) -> String {
        let daysLeft = asOf.days(until: due)
        switch ComplianceStatus.against(due: due, asOf: asOf) {
        case .overdue: return "was due by \(due) and is \(days(-daysLeft)) overdue"
        case .dueSoon where daysLeft == 0: return "is due today (\(due))"
        case .dueSoon: return "is due by \(due), in \(days(daysLeft))"
        case .ok, .noRule: return "is due by \(due)"
        }
    }

    static func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }
}
