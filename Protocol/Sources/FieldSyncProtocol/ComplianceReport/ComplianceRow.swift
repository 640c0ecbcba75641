/// One young person's line of `GET /v1/reports/compliance`: statutory visits and the current
/// term's PEP, each with the rule applied, the due date and its status.
public struct ComplianceRow: Codable, Sendable {
    public let youngPerson: String
    public let cohort: String?
    public let keyWorker: String?
    public let visits: VisitCompliance
    /// Nil when PEPs are outside the caller's role, or no facts are recorded.
    public let pep: PepCompliance?

    public init(youngPerson: String, cohort: String?, keyWorker: String?, visits: VisitCompliance, pep: PepCompliance?) {
        self.youngPerson = youngPerson
        self.cohort = cohort
        self.keyWorker = keyWorker
        self.visits = visits
        self.pep = pep
    }
}
