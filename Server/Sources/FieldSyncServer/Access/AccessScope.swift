import FieldSyncProtocol
import Foundation
import GRDB

/// What one user may see and change (domain model 1.2 and 1.3): which young people, and which
/// record kinds. The server checks it on every pull and every operation (contract 5.2).
struct AccessScope: Codable, Sendable, Equatable {
    /// Every young person (the Virtual School sees every PEP).
    var allYoungPeople: Bool
    /// Young people in scope when not `allYoungPeople`.
    var youngPeople: Set<UUID>
    var kinds: Set<RecordKind>

    static let none = AccessScope(allYoungPeople: false, youngPeople: [], kinds: [])

    func allows(_ kind: RecordKind, _ youngPerson: UUID) -> Bool {
        kinds.contains(kind) && (allYoungPeople || youngPeople.contains(youngPerson))
    }

    /// The kinds clause and young-person list for the feed query.
    var youngPeopleJSON: String {
        "[" + youngPeople.map { "\"\($0.uuidString)\"" }.sorted().joined(separator: ",") + "]"
    }

    /// The young people whose active key worker is in `team`.
    static func keyWorkedBy(team: String, in db: Database) throws -> Set<UUID> {
        Set(
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT a.young_person FROM allocations a JOIN users u ON u.name = a.user_name
                        WHERE u.team = ? AND a.role = 'key' AND a.ended_at IS NULL
                        """), arguments: [team]
            ).compactMap(UUID.init(uuidString:)))
    }

    /// Works out a user's scope from their role and the active allocations.
    ///
    /// - Personal advisers and social workers: the young people allocated to them (key or co-worker);
    ///   visits and PEPs.
    /// - Team managers: their own allocations and every young person whose key worker is in their
    ///   team; visits and PEPs.
    /// - Virtual School officers: every PEP, no visit records (data minimisation).
    /// - Designated teachers: the PEPs of young people allocated to them.
    /// - Admins: no case content.
    static func of(user: String, role: Role?, team: String, in db: Database) throws -> AccessScope {
        func allocated(_ sql: String, _ arguments: StatementArguments) throws -> Set<UUID> {
            Set(try String.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).compactMap(UUID.init(uuidString:)))
        }
        let own = try allocated(
            "SELECT DISTINCT young_person FROM allocations WHERE user_name = ? AND ended_at IS NULL", [user])
        switch role {
        case .personalAdviser?, .socialWorker?:
            return AccessScope(allYoungPeople: false, youngPeople: own, kinds: [.visit, .pep])
        case .teamManager?:
            return AccessScope(allYoungPeople: false, youngPeople: own.union(try keyWorkedBy(team: team, in: db)), kinds: [.visit, .pep])
        case .virtualSchool?:
            return AccessScope(allYoungPeople: true, youngPeople: [], kinds: [.pep])
        case .designatedTeacher?:
            return AccessScope(allYoungPeople: false, youngPeople: own, kinds: [.pep])
        case .admin?, nil:
            return .none
        }
    }
}

/// Scopes worked out once per write transaction: allocations change only through admin writes,
/// which cannot interleave with the writer's transaction, so a group of change sets from one
/// user's devices needs the allocations read once.
final class AccessScopeCache {
    private var scopes: [String: AccessScope] = [:]

    func scope(for device: AuthenticatedDevice, in db: Database) throws -> AccessScope {
        if let known = scopes[device.userName] { return known }
        let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
        scopes[device.userName] = scope
        return scope
    }
}
