/// Who may do what to a record, as data (domain model 1.3, the permission matrix, and 2.4, PEP
/// section ownership). The server checks every operation against it (create, update, transition,
/// delete, and a conflict's resolution, which is the edit it makes); a device can check its own
/// edits against it before it queues them.
///
/// Scope (which young people a user may see at all) is checked separately, first; this matrix
/// decides what a user in scope may change. A grant that is absent is a refusal.
public enum PermissionMatrix {
    /// Which states a grant holds in.
    public enum States: Sendable, Hashable {
        /// The kind's editable states (``Lifecycle/editableStates``).
        case editable
        /// The kind's editable states and these.
        case editableAnd(Set<String>)
        /// Exactly these.
        case only(Set<String>)

        public func contains(_ state: String, of kind: RecordKind) -> Bool {
            switch self {
            case .editable: kind.schema.lifecycle.editableStates.contains(state)
            case .editableAnd(let more): kind.schema.lifecycle.editableStates.contains(state) || more.contains(state)
            case .only(let states): states.contains(state)
            }
        }
    }

    /// Extra conditions on a grant.
    public struct Conditions: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Only on records the user created ("own visits").
        public static let ownRecord = Conditions(rawValue: 1 << 0)
        /// A list that only grows: every item already on the server stays exactly as it is.
        public static let appendOnly = Conditions(rawValue: 1 << 1)
        /// Not by the record's author nor by anyone who wrote its content (segregation of duties).
        public static let segregated = Conditions(rawValue: 1 << 2)
    }

    /// Writing one group of fields.
    public struct WriteGrant: Sendable, Hashable {
        public let kind: RecordKind
        public let group: FieldGroup
        public let roles: Set<Role>
        public let states: States
        public let conditions: Conditions
    }

    /// Making one move of the lifecycle.
    public struct MoveGrant: Sendable, Hashable {
        public let kind: RecordKind
        public let from: String
        public let to: String
        public let roles: Set<Role>
        public let conditions: Conditions
    }

    /// Creating (`create`) or discarding (`delete`) a record of a kind.
    public struct RecordGrant: Sendable, Hashable {
        public let kind: RecordKind
        public let roles: Set<Role>
        public let conditions: Conditions
    }

    static func write(
        _ kind: RecordKind, _ group: FieldGroup, _ roles: Set<Role>, _ states: States = .editable, _ conditions: Conditions = []
    )
        -> WriteGrant
    {
        WriteGrant(kind: kind, group: group, roles: roles, states: states, conditions: conditions)
    }

    static func moves(_ kind: RecordKind, _ pairs: [(String, String)], _ roles: Set<Role>, _ conditions: Conditions = []) -> [MoveGrant] {
        pairs.map { MoveGrant(kind: kind, from: $0.0, to: $0.1, roles: roles, conditions: conditions) }
    }

    /// Who writes what. Team managers write visit content only on their own visits (1.3: "W (own
    /// visits)"); they write the oversight note also on submitted visits. After authorisation a
    /// visit takes new addenda only, from a team manager or its author. PEP sections follow 2.4; the
    /// Virtual School edits education, targets and QA only while the PEP is in QA.
    public static let writes: [WriteGrant] = [
        write(.visit, .visitContent, [.personalAdviser, .socialWorker]),
        write(.visit, .visitContent, [.teamManager], .editable, .ownRecord),
        write(.visit, .managerOversight, [.teamManager], .editableAnd(["SUBMITTED"])),
        write(.visit, .addenda, [.personalAdviser, .socialWorker]),
        write(.visit, .addenda, [.teamManager], .editable, .ownRecord),
        write(.visit, .addenda, [.teamManager], .only(["AUTHORISED"]), .appendOnly),
        write(.visit, .addenda, [.personalAdviser, .socialWorker], .only(["AUTHORISED"]), [.appendOnly, .ownRecord]),

        write(.pep, .pepHeader, [.socialWorker, .designatedTeacher, .teamManager]),
        write(.pep, .pepCare, [.socialWorker, .teamManager]),
        write(.pep, .pepEducation, [.designatedTeacher]),
        write(.pep, .pepEducation, [.virtualSchool], .only(["IN_QA"])),
        write(.pep, .pepTargets, [.designatedTeacher]),
        write(.pep, .pepTargets, [.virtualSchool], .only(["IN_QA"])),
        write(.pep, .pepVoice, [.socialWorker, .designatedTeacher]),
        write(.pep, .pepQualityAssurance, [.virtualSchool], .only(["IN_QA"])),
    ]

    /// Who may settle a conflict by keeping one of its sides (``ResolutionChoice/current`` or
    /// ``ResolutionChoice/held``) beyond those who write the field: a team manager settles the
    /// conflicts in the team's visits (their conflict queue), though they write the content only of
    /// their own visits. Writing a new value is an edit and needs a write grant. Settling counts as
    /// writing the content for segregation of duties.
    public static let settles: [WriteGrant] = [
        write(.visit, .visitContent, [.teamManager]),
        write(.visit, .addenda, [.teamManager]),
    ]

    /// Who moves a record through its lifecycle (3.1, 3.2). Which moves exist at all is the
    /// lifecycle's; this says who may make each.
    public static let moves: [MoveGrant] =
        moves(
            .visit,
            [
                ("SCHEDULED", "DRAFT"), ("SCHEDULED", "CANCELLED"), ("DRAFT", "COMPLETED"), ("COMPLETED", "DRAFT"),
                ("COMPLETED", "SUBMITTED"), ("RETURNED", "SUBMITTED"), ("RETURNED", "DRAFT"),
            ], [.personalAdviser, .socialWorker])
        + moves(
            .visit,
            [
                ("SCHEDULED", "DRAFT"), ("SCHEDULED", "CANCELLED"), ("DRAFT", "COMPLETED"), ("COMPLETED", "DRAFT"),
                ("COMPLETED", "SUBMITTED"), ("RETURNED", "SUBMITTED"), ("RETURNED", "DRAFT"),
            ], [.teamManager], .ownRecord)
        + moves(.visit, [("SUBMITTED", "AUTHORISED")], [.teamManager], .segregated)
        + moves(.visit, [("SUBMITTED", "RETURNED")], [.teamManager])
        // Recall: the author takes a submitted visit back.
        + moves(.visit, [("SUBMITTED", "COMPLETED")], Set(Role.allCases), .ownRecord)
        + moves(
            .pep,
            [
                ("INITIATED", "DRAFTING"), ("DRAFTING", "MEETING_HELD"), ("MEETING_HELD", "READY_TO_SUBMIT"), ("MEETING_HELD", "DRAFTING"),
                ("READY_TO_SUBMIT", "MEETING_HELD"),
            ],
            [.socialWorker, .designatedTeacher, .teamManager])
        + moves(
            .pep,
            [("READY_TO_SUBMIT", "SUBMITTED"), ("RETURNED_FOR_AMENDMENT", "SUBMITTED"), ("RETURNED_FOR_AMENDMENT", "READY_TO_SUBMIT")],
            [.socialWorker, .designatedTeacher])
        + moves(
            .pep, [("SUBMITTED", "IN_QA"), ("IN_QA", "FINALISED"), ("IN_QA", "RETURNED_FOR_AMENDMENT"), ("FINALISED", "SUPERSEDED")],
            [.virtualSchool])

    /// Who starts a record (1.3: visits by the workers and managers; PEPs by the social worker, a
    /// team manager, or the Virtual School when there is no school place).
    public static let creates: [RecordGrant] = [
        RecordGrant(kind: .visit, roles: [.personalAdviser, .socialWorker, .teamManager], conditions: []),
        RecordGrant(kind: .pep, roles: [.socialWorker, .teamManager, .virtualSchool], conditions: []),
    ]

    /// The groups a creator may fill in at creation beyond their write grants: whoever starts a PEP
    /// writes its header (term, year, setting), the Virtual School included.
    public static let headerGroupsAtCreate: [RecordKind: Set<FieldGroup>] = [.visit: [], .pep: [.pepHeader]]

    /// Who discards a never-submitted record (in the lifecycle's deletable states); a resolution
    /// that restores a discarded record needs the same grant.
    public static let deletes: [RecordGrant] = [
        RecordGrant(kind: .visit, roles: [.personalAdviser, .socialWorker], conditions: []),
        RecordGrant(kind: .visit, roles: [.teamManager], conditions: .ownRecord),
        RecordGrant(kind: .pep, roles: [.socialWorker, .teamManager], conditions: []),
        RecordGrant(kind: .pep, roles: [.virtualSchool], conditions: .ownRecord),
    ]
}
