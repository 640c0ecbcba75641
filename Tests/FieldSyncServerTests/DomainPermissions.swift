import FieldSyncProtocol

/// Who may do what to a record, restated by hand from the domain model
/// (/work/shared/design/domain-model.md §1.2 scoping, §1.3 the permission matrix, §2.4 PEP section
/// ownership, §3.1 and §3.2 the lifecycles and "what is read-only when").
///
/// This is the tests' independent expectation: it never reads ``PermissionMatrix``. The
/// permission-matrix test and the property-based role test check the server against it; where the
/// two disagree, ``DomainPermissions/Disagreement`` lists the known cases, each reported to the lead.
///
/// Readings made where the domain model is not explicit:
/// - "own" / "author(s)" for a personal adviser or social worker means a worker on the young
///   person's case (they co-author joint visits, §2.2 "Concurrency in visits"); for a team manager
///   "W (own visits)" means visits the manager started. A recall is the submitter's own act, so it
///   is the record's creator's only.
/// - Addenda before authorisation are part of what the workers write; after it they are appended
///   only (by the visit's author or a team manager, §3.1), and nobody changes one already there.
/// - Keeping one side of a conflict (`current`, `held`) is writing the field; a team manager also
///   settles conflicts on the team's visits (their conflict queue, README). Writing a new value
///   (`value`) is writing the field, nothing more.
/// - Deciding a delete-versus-edit conflict (`(record)`) is a discard decision; taking the held
///   delete is a delete (so the state must be deletable); restoring also writes the held fields.
enum DomainPermissions {
    /// What an operation should get.
    enum Expect: Hashable, CustomStringConvertible {
        /// Applied (or merged, or a conflict): not refused for a permission or state reason.
        case allowed
        /// Refused `forbidden`: the user may never make it.
        case forbidden
        /// Refused `not_editable` / `stale_edit_on_locked_record`: not in this state.
        case locked
        /// Refused `invalid_value` (a `(record)` conflict of a live record resolved with `value`).
        case invalid

        var description: String {
            switch self {
            case .allowed: "allowed"
            case .forbidden: "forbidden"
            case .locked: "locked"
            case .invalid: "invalid"
            }
        }
    }

    static let pa = Role.personalAdviser, sw = Role.socialWorker, tm = Role.teamManager
    static let vso = Role.virtualSchool, dt = Role.designatedTeacher, admin = Role.admin
    static let everyone = Set(Role.allCases)

    // MARK: Scope (§1.2)

    /// Whether a user of `role` sees a record of `kind` of a young person, allocated to them or not.
    /// Visits: the workers and managers on the case. PEPs: also the designated teacher of an
    /// allocated young person, and the Virtual School for every child in care. Admins: nothing.
    static func sees(_ role: Role, _ kind: RecordKind, allocated: Bool) -> Bool {
        switch role {
        case .personalAdviser, .socialWorker, .teamManager: allocated
        case .designatedTeacher: kind == .pep && allocated
        case .virtualSchool: kind == .pep
        case .admin: false
        }
    }

    // MARK: States (§3.1, §3.2)

    static let visitStates = ["SCHEDULED", "DRAFT", "COMPLETED", "SUBMITTED", "AUTHORISED", "RETURNED", "CANCELLED"]
    static let pepStates = [
        "INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "SUBMITTED", "IN_QA", "FINALISED",
        "RETURNED_FOR_AMENDMENT", "SUPERSEDED",
    ]
    static func states(_ kind: RecordKind) -> [String] { kind == .visit ? visitStates : pepStates }

    /// Visit: scheduled (the worker schedules), DRAFT/COMPLETED/RETURNED "editable by the author(s)".
    static let visitDraft: Set<String> = ["SCHEDULED", "DRAFT", "COMPLETED", "RETURNED"]
    /// PEP: "INITIATED…READY_TO_SUBMIT: editable by the section owners"; RETURNED_FOR_AMENDMENT again.
    static let pepDraft: Set<String> = ["INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "RETURNED_FOR_AMENDMENT"]
    /// "discard (never synced)": never-submitted records only.
    static let deletable: [RecordKind: Set<String>] = [.visit: ["SCHEDULED", "DRAFT"], .pep: ["INITIATED"]]

    // MARK: Writing (§1.3, §2.4, §3)

    /// The groups of fields the domain model grants separately.
    enum Group: String, CaseIterable {
        case visitContent, managerNote, addenda
        case pepHeader, pepCare, pepEducation, pepTargets, pepVoice, pepQA

        var kind: RecordKind {
            switch self {
            case .visitContent, .managerNote, .addenda: .visit
            default: .pep
            }
        }
    }

    /// One line of the table: these roles (only on records they started, when `own`) write the
    /// group in these states; `appendOnly`: a list that takes new items only.
    struct Grant {
        let roles: Set<Role>
        var own = false
        let states: Set<String>
        var appendOnly = false
    }

    static let writes: [Group: [Grant]] = [
        // "Visit: record content — PA W,S (own), SW W,S (own), TM W (own visits)"; submitted: read-only
        // for the author; authorised: immutable.
        .visitContent: [Grant(roles: [pa, sw], states: visitDraft), Grant(roles: [tm], own: true, states: visitDraft)],
        // "Visit: manager oversight note — TM W"; "SUBMITTED: the TM adds only managerNote"; the note is
        // written while the author still edits (§2.2); authorised: immutable.
        .managerNote: [Grant(roles: [tm], states: visitDraft.union(["SUBMITTED"]))],
        // "AUTHORISED → (addendum): author, TM; appended". Before that, what the content's writers write.
        .addenda: [
            Grant(roles: [pa, sw], states: visitDraft), Grant(roles: [tm], own: true, states: visitDraft),
            Grant(roles: everyone, own: true, states: ["AUTHORISED"], appendOnly: true),
            Grant(roles: [tm], states: ["AUTHORISED"], appendOnly: true),
        ],
        // §2.4: "Header, meeting, attendees — may edit SW, DT; read-only VSO, IRO".
        .pepHeader: [Grant(roles: [sw, dt], states: pepDraft)],
        // §2.4: "Care/SW section, SDQ — may edit SW, TM".
        .pepCare: [Grant(roles: [sw, tm], states: pepDraft)],
        // §2.4: "Attendance, exclusions, attainment, strengths, barriers — DT"; §1.3: "VSO W (minor edits at QA)".
        .pepEducation: [Grant(roles: [dt], states: pepDraft), Grant(roles: [vso], states: ["IN_QA"])],
        // §2.4: "Targets, PP+ requests — DT; SW may comment; VSO edits only at QA".
        .pepTargets: [Grant(roles: [dt], states: pepDraft), Grant(roles: [vso], states: ["IN_QA"])],
        // §2.4: "Child voice, carer voice, meeting notes — SW, DT".
        .pepVoice: [Grant(roles: [sw, dt], states: pepDraft)],
        // §2.4: "QA — VSO/VSH"; §3.2: the rating is recorded in QA.
        .pepQA: [Grant(roles: [vso], states: ["IN_QA"])],
    ]

    /// Beyond the writers, who settles a conflict by keeping one of its sides: a team manager, on the
    /// team's visits while they are being written.
    static let settles: [Group: [Grant]] = [
        .visitContent: [Grant(roles: [tm], states: visitDraft)],
        .addenda: [Grant(roles: [tm], states: visitDraft)],
    ]

    /// What writing a group gets, and whether the list is append-only then.
    static func write(_ group: Group, state: String, author: Bool, role: Role, grants: [Group: [Grant]] = writes)
        -> (Expect, appendOnly: Bool)
    {
        let usable = (grants[group] ?? []).filter { $0.roles.contains(role) && (!$0.own || author) }
        if usable.isEmpty { return (.forbidden, false) }
        let covering = usable.filter { $0.states.contains(state) }
        if covering.isEmpty { return (.locked, false) }
        return (.allowed, covering.allSatisfy(\.appendOnly))
    }

    /// An update of a group's field: `rewrites` when it changes an item the list already holds.
    static func update(_ group: Group, state: String, author: Bool, role: Role, rewrites: Bool = false) -> Expect {
        let (expect, appendOnly) = write(group, state: state, author: author, role: role)
        return expect == .allowed && appendOnly && rewrites ? .locked : expect
    }

    /// Keeping a side of a conflict on a group's field.
    static func settle(_ group: Group, state: String, author: Bool, role: Role) -> (Expect, appendOnly: Bool) {
        let asWriter = write(group, state: state, author: author, role: role)
        if asWriter.0 == .allowed { return asWriter }
        let asSettler = write(group, state: state, author: author, role: role, grants: settles)
        if asSettler.0 == .allowed { return asSettler }
        // A role that settles in other states is locked out here, not forbidden.
        return asWriter.0 == .forbidden && asSettler.0 == .locked ? asSettler : asWriter
    }

    /// Resolving a conflict on a group's field. `onExistingItem`: the conflict is on an item the list
    /// already holds (so taking `held` or a new `value` rewrites it).
    static func resolve(_ group: Group, _ choice: ResolutionChoice, state: String, author: Bool, role: Role, onExistingItem: Bool)
        -> Expect
    {
        let (expect, appendOnly) =
            choice == .value
            ? write(group, state: state, author: author, role: role) : settle(group, state: state, author: author, role: role)
        if expect == .allowed, appendOnly, onExistingItem, choice != .current { return .locked }
        return expect
    }

    // MARK: Creating and discarding

    /// §1.3: "Visit: schedule — PA W (own), SW W (own), TM W"; "PEP: initiate — SW, TM, VSO (when
    /// there is no school place)".
    static let creators: [RecordKind: Set<Role>] = [.visit: [pa, sw, tm], .pep: [sw, tm, vso]]

    /// A new record holding a field of `group` (nil: no fields). Whoever initiates a PEP writes its
    /// header (term, year, setting); other groups need a write grant in the initial state.
    static func create(_ kind: RecordKind, group: Group?, state: String, role: Role) -> Expect {
        guard creators[kind]?.contains(role) == true else { return .forbidden }
        guard let group, group != .pepHeader else { return .allowed }
        let (expect, _) = write(group, state: state, author: true, role: role)
        return expect == .allowed ? .allowed : .forbidden
    }

    /// Who discards a never-submitted record: for visits the workers on the case and the manager
    /// who started it (§3.1 "discard", author); for PEPs (silent) those who initiate them — the
    /// Virtual School only the ones it started.
    static func mayDiscard(_ kind: RecordKind, author: Bool, role: Role) -> Bool {
        switch kind {
        case .visit: [pa, sw].contains(role) || (role == tm && author)
        case .pep: [sw, tm].contains(role) || (role == vso && author)
        }
    }

    static func delete(_ kind: RecordKind, state: String, author: Bool, role: Role) -> Expect {
        guard mayDiscard(kind, author: author, role: role) else { return .forbidden }
        return deletable[kind]!.contains(state) ? .allowed : .locked
    }

    /// Resolving a `(record)` conflict: on a live record (someone's delete is held) or on a
    /// tombstone (someone's edit of `restoring` is held).
    static func resolveRecord(
        _ kind: RecordKind, _ choice: ResolutionChoice, deleted: Bool, restoring: Group, state: String, author: Bool, role: Role
    ) -> Expect {
        guard mayDiscard(kind, author: author, role: role) else { return .forbidden }
        switch (deleted, choice) {
        case (_, .current): return .allowed
        case (false, .held): return deletable[kind]!.contains(state) ? .allowed : .locked
        case (false, .value): return .invalid
        case (true, _): return write(restoring, state: state, author: author, role: role).0
        }
    }

    // MARK: Moves (§3.1, §3.2)

    enum Mover: Hashable {
        case role(Role)
        /// Only on a record the user started.
        case author(Role)
        /// The record's creator, whatever their role.
        case creator
        /// A team manager who neither started the record nor wrote any of its content.
        case segregatedManager
    }

    static let workers: Set<Mover> = [.role(pa), .role(sw), .author(tm)]

    static let moves: [RecordKind: [String: [String: Set<Mover>]]] = [
        .visit: [
            // "SCHEDULED/∅ → DRAFT: author (SW/PA/co-worker)"; "cancel" by the worker.
            "SCHEDULED": ["DRAFT": workers, "CANCELLED": workers],
            // "DRAFT → COMPLETED: author".
            "DRAFT": ["COMPLETED": workers],
            // "reopen (author)"; "COMPLETED → SUBMITTED: author".
            "COMPLETED": ["DRAFT": workers, "SUBMITTED": workers],
            // "SUBMITTED → AUTHORISED: TM/ATM (or SM), not the author (segregation of duties)";
            // "SUBMITTED → RETURNED: TM/ATM/SM"; "recall (author, only before TM opens it)".
            "SUBMITTED": ["AUTHORISED": [.segregatedManager], "RETURNED": [.role(tm)], "COMPLETED": [.creator]],
            // "RETURNED → (author edits) → SUBMITTED"; back to draft for the author's edits.
            "RETURNED": ["SUBMITTED": workers, "DRAFT": workers],
        ],
        .pep: [
            // "INITIATED → DRAFTING: SW/DT on first edit"; "DRAFTING → MEETING_HELD: SW or DT".
            "INITIATED": ["DRAFTING": [.role(sw), .role(dt)]],
            "DRAFTING": ["MEETING_HELD": [.role(sw), .role(dt)]],
            // "MEETING_HELD → READY_TO_SUBMIT: DT"; back to drafting (not in the brief): SW or DT.
            "MEETING_HELD": ["READY_TO_SUBMIT": [.role(dt)], "DRAFTING": [.role(sw), .role(dt)]],
            // "READY_TO_SUBMIT → SUBMITTED: DT submits; SW co-signs" (1.3: S for both).
            "READY_TO_SUBMIT": ["SUBMITTED": [.role(sw), .role(dt)], "MEETING_HELD": [.role(sw), .role(dt)]],
            // "SUBMITTED → IN_QA: VSO opens it"; "IN_QA → FINALISED / RETURNED_FOR_AMENDMENT: VSO/VSH".
            "SUBMITTED": ["IN_QA": [.role(vso)]],
            "IN_QA": ["FINALISED": [.role(vso)], "RETURNED_FOR_AMENDMENT": [.role(vso)]],
            // "RETURNED_FOR_AMENDMENT → (DT/SW edit) → SUBMITTED".
            "RETURNED_FOR_AMENDMENT": ["SUBMITTED": [.role(sw), .role(dt)], "READY_TO_SUBMIT": [.role(sw), .role(dt)]],
            // "FINALISED → SUPERSEDED: system" (when the next PEP is finalised): no user.
            "FINALISED": ["SUPERSEDED": []],
        ],
    ]

    /// Every move of the lifecycle, as (from, to).
    static func allMoves(_ kind: RecordKind) -> [(String, String)] {
        (moves[kind] ?? [:]).sorted { $0.key < $1.key }.flatMap { from, tos in tos.keys.sorted().map { (from, $0) } }
    }

    /// `contributed`: the user wrote some of the record's content (not just the oversight note).
    static func move(_ kind: RecordKind, from: String, to: String, author: Bool, contributed: Bool, role: Role) -> Expect {
        let movers = moves[kind]?[from]?[to] ?? []
        let may = movers.contains { mover in
            switch mover {
            case .role(let r): r == role
            case .author(let r): r == role && author
            case .creator: author
            case .segregatedManager: role == tm && !author && !contributed
            }
        }
        return may ? .allowed : .forbidden
    }

    // MARK: Known disagreements

    /// A place where the server does something other than the domain model says, reported to the
    /// lead and left (the expectation above is not bent to the code). The tests fail on any other
    /// disagreement, and on a listed one that no longer occurs.
    struct Disagreement: Sendable {
        /// Which test's cases it concerns (so that test can tell when it no longer occurs).
        enum Area {
            case fields, creates, records, moves
            /// Found by the random test only (no table test tells when it no longer occurs).
            case random
        }
        let name: String
        let area: Area
        let matches: @Sendable (Case) -> Bool
    }

    /// One checked case, as the tests describe it.
    struct Case: Sendable, CustomStringConvertible {
        let kind: RecordKind
        let operation: String
        let group: Group?
        let from: String
        let to: String?
        let role: Role
        let author: Bool

        var description: String {
            "\(kind.rawValue) \(from) \(operation)\(group.map { " \($0.rawValue)" } ?? "")\(to.map { " → \($0)" } ?? "") by \(role.rawValue)\(author ? " (its author)" : "")"
        }
    }

    static let disagreements: [Disagreement] = [
        Disagreement(
            name:
                "a late edit of a deleted record by a user who may never write that field is refused record_deleted, not forbidden (nothing changes either way)",
            area: .random
        ) { $0.operation == "update of a deleted record, by a user who may never write the field" },
        Disagreement(
            name:
                "deleting an already deleted record is answered applied (a no-op) even for a user who may not discard it (RecordMutator.delete answers before the discard check)",
            area: .records
        ) { $0.operation == "delete of a deleted record" },
        Disagreement(name: "a team manager writes a PEP's header after starting it (§2.4: SW, DT only)", area: .fields) {
            $0.kind == .pep && $0.group == .pepHeader && $0.role == tm && $0.operation != "create"
        },
        Disagreement(name: "a team manager moves a PEP draft between INITIATED … READY_TO_SUBMIT (§3.2: SW or DT)", area: .moves) {
            $0.kind == .pep && $0.operation == "move" && $0.role == tm
                && ["INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT"].contains($0.from) && $0.to != "SUBMITTED"
        },
        Disagreement(name: "a social worker marks a PEP READY_TO_SUBMIT (§3.2: the DT)", area: .moves) {
            $0.kind == .pep && $0.operation == "move" && $0.role == sw && $0.from == "MEETING_HELD" && $0.to == "READY_TO_SUBMIT"
        },
        Disagreement(
            name: "the Virtual School moves a FINALISED PEP to SUPERSEDED (§3.2: the system, when the next PEP is finalised)", area: .moves
        ) {
            $0.kind == .pep && $0.operation == "move" && $0.role == vso && $0.from == "FINALISED"
        },
    ]
}
