/// Who is acting: the user's name (to compare with a record's author) and role.
public struct Actor: Sendable, Hashable {
    public let user: String
    /// Nil for a role this build does not know: such a user is granted nothing.
    public let role: Role?

    public init(user: String, role: Role?) {
        self.user = user
        self.role = role
    }
}

/// What the matrix says about one intended change.
public enum PermissionDecision: Sendable, Hashable {
    /// Allowed; the conditions of the grant that allows it still to be checked by the caller
    /// against the server's values (``PermissionMatrix/Conditions/appendOnly``,
    /// ``PermissionMatrix/Conditions/segregated``).
    case allowed(PermissionMatrix.Conditions)
    /// This user may never make it (role, authorship).
    case forbidden(String)
    /// The user could make it, but not while the record is in its current state.
    case notInThisState
}

extension PermissionMatrix {
    /// May `actor` write fields of `group` on a `kind` record in `state` created by `createdBy`?
    public static func write(
        _ group: FieldGroup, kind: RecordKind, state: String, createdBy: String, by actor: Actor
    ) -> PermissionDecision {
        guard let role = actor.role else { return .forbidden(unknownRole) }
        let forRole = writes.filter { $0.kind == kind && $0.group == group && $0.roles.contains(role) }
        guard !forRole.isEmpty else {
            return .forbidden(
                "Your role (\(role.title)) does not write \(group.title) of \(kind.rawValue) records; \(writers(of: group, kind: kind)).")
        }
        let usable = forRole.filter { !$0.conditions.contains(.ownRecord) || createdBy == actor.user }
        guard !usable.isEmpty else {
            return .forbidden(
                "As a \(role.title) you write \(group.title) only on \(kind.rawValue) records you started; this one is \(createdBy)'s.")
        }
        if let grant = usable.first(where: { $0.states.contains(state, of: kind) }) {
            return .allowed(grant.conditions.subtracting(.ownRecord))
        }
        return .notInThisState
    }

    /// Why `actor`, who writes `group` in other states, may not in this one, while the record is
    /// open (others write the group now, or the state is one of the kind's editable states): a
    /// Virtual School officer and a drafting PEP's education section or QA. Nil when the record is
    /// locked for everyone (the caller says so).
    public static func notYetYours(_ group: FieldGroup, kind: RecordKind, state: String, by actor: Actor) -> String? {
        guard let role = actor.role else { return nil }
        let own = writes.filter { $0.kind == kind && $0.group == group && $0.roles.contains(role) }
        guard !own.isEmpty else { return nil }
        let when =
            "A \(role.title) writes \(group.title) of \(kind.rawValue) records only \(own.map(\.states.phrase).joined(separator: " or "))"
        if writes.contains(where: { $0.kind == kind && $0.group == group && $0.states.contains(state, of: kind) }) {
            return when + "; while it is \(state), \(writers(of: group, kind: kind))."
        }
        guard kind.schema.lifecycle.editableStates.contains(state) else { return nil }
        return when + ", and this one is \(state)."
    }

    /// Who writes a part, as a sentence ending: "it is written by designated teachers, and by
    /// Virtual School officers in IN_QA" (the section's owners first, as the matrix lists them).
    static func writers(of group: FieldGroup, kind: RecordKind) -> String {
        let grants = writes.filter { $0.kind == kind && $0.group == group }
        guard !grants.isEmpty else { return "nobody writes it" }
        let parts = grants.map { grant in
            var part = Role.allCases.filter { grant.roles.contains($0) }.map(\.pluralTitle).joined(separator: " and ")
            if grant.conditions.contains(.ownRecord) { part += " on records they started" }
            if grant.states != .editable { part += " " + grant.states.phrase }
            return part
        }
        return "it is written by " + parts.joined(separator: ", and by ")
    }

    /// May `actor` settle a conflict on a field of `group` by keeping one of its sides? Whoever may
    /// write the field may; so may the holders of a ``settles`` grant.
    public static func settle(
        _ group: FieldGroup, kind: RecordKind, state: String, createdBy: String, by actor: Actor
    ) -> PermissionDecision {
        let asWriter = write(group, kind: kind, state: state, createdBy: createdBy, by: actor)
        // Also when the user writes the group only in other states (a team manager writes addenda
        // of others' visits only once authorised, yet settles their conflicts while in draft).
        if case .allowed = asWriter { return asWriter }
        guard let role = actor.role else { return asWriter }
        let grants = settles.filter { $0.kind == kind && $0.group == group && $0.roles.contains(role) }
        guard !grants.isEmpty else { return asWriter }
        if let grant = grants.first(where: { $0.states.contains(state, of: kind) }) { return .allowed(grant.conditions) }
        return .notInThisState
    }

    /// May `actor` move a `kind` record from `from` to `to`? `contributed` tells whether the actor
    /// wrote any of the record's content (for segregation of duties).
    public static func move(
        kind: RecordKind, from: String, to: String, createdBy: String, contributed: Bool, by actor: Actor
    ) -> PermissionDecision {
        guard let role = actor.role else { return .forbidden(unknownRole) }
        let forMove = moves.filter { $0.kind == kind && $0.from == from && $0.to == to }
        let forRole = forMove.filter { $0.roles.contains(role) }
        guard !forRole.isEmpty else {
            return .forbidden(
                "A \(role.title) may not move a \(from) \(kind.rawValue) record to \(to); \(names(forMove.flatMap(\.roles))) may.")
        }
        let usable = forRole.filter { !$0.conditions.contains(.ownRecord) || createdBy == actor.user }
        guard let grant = usable.first else {
            return .forbidden("Only the record's author (\(createdBy)) may move this \(from) \(kind.rawValue) record to \(to).")
        }
        if grant.conditions.contains(.segregated), createdBy == actor.user || contributed {
            return .forbidden(
                "You wrote this \(kind.rawValue) record or part of it, so another manager must move it to \(to) (segregation of duties).")
        }
        return .allowed([])
    }

    /// May `actor` create a `kind` record holding these fields?
    public static func create(kind: RecordKind, fields: some Sequence<String>, initialState: String, by actor: Actor) -> PermissionDecision
    {
        guard let role = actor.role else { return .forbidden(unknownRole) }
        let creators = creates.filter { $0.kind == kind }.flatMap(\.roles)
        guard creators.contains(role) else {
            return .forbidden("Your role (\(role.title)) does not start \(kind.rawValue) records; \(names(creators)) do.")
        }
        let atCreate = headerGroupsAtCreate[kind] ?? []
        for field in fields {
            guard let group = FieldGroup.of(field, in: kind) else { continue }  // validation names unknown fields
            if atCreate.contains(group) { continue }
            switch write(group, kind: kind, state: initialState, createdBy: actor.user, by: actor) {
            case .allowed: continue
            case .forbidden(let why): return .forbidden(why + " Leave \(field) out of the new record.")
            case .notInThisState:
                return .forbidden("A new \(kind.rawValue) record cannot hold \(field) yet; it is written in a later state.")
            }
        }
        return .allowed([])
    }

    /// May `actor` discard (delete) or restore a `kind` record created by `createdBy`? The
    /// lifecycle's deletable states are checked by the caller.
    public static func delete(kind: RecordKind, createdBy: String, by actor: Actor) -> PermissionDecision {
        guard let role = actor.role else { return .forbidden(unknownRole) }
        let forRole = deletes.filter { $0.kind == kind && $0.roles.contains(role) }
        guard !forRole.isEmpty else {
            return .forbidden("Your role (\(role.title)) does not discard \(kind.rawValue) records.")
        }
        guard forRole.contains(where: { !$0.conditions.contains(.ownRecord) || createdBy == actor.user }) else {
            return .forbidden("Only the record's author (\(createdBy)) may discard this \(kind.rawValue) record.")
        }
        return .allowed([])
    }

    static let unknownRole = "Your account has no role this server knows, so it may not change records; ask your admin."

    static func names(_ roles: [Role]) -> String {
        let unique = Set(roles)
        let ordered = Role.allCases.filter { unique.contains($0) }.map(\.title)
        return ordered.isEmpty ? "nobody" : ordered.joined(separator: ", ")
    }
}

extension Role {
    /// The role as people say it.
    public var title: String {
        switch self {
        case .personalAdviser: "personal adviser"
        case .socialWorker: "social worker"
        case .teamManager: "team manager"
        case .virtualSchool: "Virtual School officer"
        case .designatedTeacher: "designated teacher"
        case .admin: "system admin"
        }
    }

    /// The role's title for several people ("designated teachers").
    public var pluralTitle: String { title + "s" }
}

extension PermissionMatrix.States {
    /// When a grant holds, in words: "in IN_QA", "in its editable states and SUBMITTED".
    var phrase: String {
        switch self {
        case .editable: "in its editable states"
        case .editableAnd(let more): "in its editable states and " + more.sorted().joined(separator: " or ")
        case .only(let states): "in " + states.sorted().joined(separator: " or ")
        }
    }
}

extension FieldGroup {
    /// The group as people say it.
    public var title: String {
        switch self {
        case .visitContent: "the visit's content"
        case .managerOversight: "the manager's oversight note"
        case .addenda: "addenda"
        case .pepHeader: "the PEP's header and meeting details"
        case .pepCare: "the PEP's care section"
        case .pepEducation: "the PEP's education section"
        case .pepTargets: "the PEP's targets and PP+ requests"
        case .pepVoice: "the PEP's voice sections and meeting notes"
        case .pepQualityAssurance: "the QA rating and feedback"
        }
    }
}
