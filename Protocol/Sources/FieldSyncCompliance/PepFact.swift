import FieldSyncProtocol

/// One PEP, reduced to what the PEP rules read.
public struct PepFact: Sendable, Hashable, Codable {
    /// Written `2026/27`.
    public var academicYear: String
    /// `AUTUMN`, `SPRING` or `SUMMER`.
    public var term: String
    /// `INITIAL`, `TERMLY_REVIEW`, `CHANGE_OF_SETTING`, `TRANSITION` or `INTERIM_HOLIDAY`.
    public var pepType: String?
    /// The PEP's lifecycle state (`PepSchema.states`).
    public var state: String

    public init(academicYear: String, term: String, pepType: String?, state: String) {
        self.academicYear = academicYear
        self.term = term
        self.pepType = pepType
        self.state = state
    }

    /// Reads a PEP record's state and fields; nil when `academicYear` or `term` is missing, since
    /// such a PEP cannot be placed in a term.
    public init?(state: String, fields: [String: JSONValue]) {
        guard let academicYear = fields["academicYear"]?.stringValue, let term = fields["term"]?.stringValue else {
            return nil
        }
        self.init(academicYear: academicYear, term: term, pepType: fields["pepType"]?.stringValue, state: state)
    }

    /// The states in which a PEP has been submitted and counts for its term: SUBMITTED or later.
    /// RETURNED_FOR_AMENDMENT does not count: it must be put right and submitted again.
    public static let submittedStates: Set<String> = ["SUBMITTED", "IN_QA", "FINALISED", "SUPERSEDED"]

    public var isSubmitted: Bool { Self.submittedStates.contains(state) }

    /// How far along the PEP lifecycle a state is, to pick the most advanced PEP for a term.
    /// RETURNED_FOR_AMENDMENT sits between READY_TO_SUBMIT and SUBMITTED: it went further than a
    /// draft but does not count until it is submitted again. Unknown states rank lowest.
    static func progress(ofState state: String) -> Int {
        progressOrder.firstIndex(of: state) ?? -1
    }

    private static let progressOrder = [
        "INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "RETURNED_FOR_AMENDMENT", "SUBMITTED", "IN_QA",
        "FINALISED", "SUPERSEDED",
    ]
}
