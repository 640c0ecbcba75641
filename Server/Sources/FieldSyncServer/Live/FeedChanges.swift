import FieldSyncProtocol
import Foundation

/// What one group commit added to the change feed, as far as scope goes: for each record kind
/// written, the young people whose records they are. The watch endpoint checks it against each
/// watching device's scope, so a device is poked only when something it may see changed.
///
/// Bounded: past ``maxYoungPeople`` distinct young people for a kind, it keeps only "this kind
/// changed" and every watcher of that kind is poked (pull is the source of truth: a poke for
/// nothing costs one empty pull; a missed poke would cost a stale device).
struct FeedChanges: Sendable, Equatable {
    private(set) var youngPeople: [RecordKind: Set<UUID>] = [:]
    /// Kinds whose list of young people outgrew the bound.
    private(set) var wholeKinds: Set<RecordKind> = []
    /// The device that sent every change here, when one did (nil: several, or none yet). Its own
    /// watch is not poked: a device pulls after it pushes (WIRE-PROTOCOL §12), so it gets them then.
    private(set) var onlyBy: UUID?

    init() {}

    /// What one change set by `device` wrote.
    init(by device: UUID) {
        onlyBy = device
    }

    static let maxYoungPeople = 1_000

    var isEmpty: Bool { youngPeople.isEmpty && wholeKinds.isEmpty }

    mutating func add(_ kind: RecordKind, youngPerson: UUID) {
        guard !wholeKinds.contains(kind) else { return }
        youngPeople[kind, default: []].insert(youngPerson)
        if youngPeople[kind]!.count > Self.maxYoungPeople {
            youngPeople[kind] = nil
            wholeKinds.insert(kind)
        }
    }

    mutating func formUnion(_ other: FeedChanges) {
        guard !other.isEmpty else { return }
        if isEmpty {
            onlyBy = other.onlyBy
        } else if other.onlyBy == nil || other.onlyBy != onlyBy {
            onlyBy = nil
        }
        for kind in other.wholeKinds {
            wholeKinds.insert(kind)
            youngPeople[kind] = nil
        }
        for (kind, people) in other.youngPeople {
            for person in people { add(kind, youngPerson: person) }
        }
    }

    /// Whether any change is in `scope` and not only the watching `device`'s own: at most
    /// min(scope, changes) set lookups per kind.
    func concerns(_ scope: AccessScope, watchedBy device: UUID) -> Bool {
        onlyBy != device && concerns(scope)
    }

    /// Whether any change is in `scope`: at most min(scope, changes) set lookups per kind.
    func concerns(_ scope: AccessScope) -> Bool {
        for kind in scope.kinds {
            if wholeKinds.contains(kind) { return true }
            guard let people = youngPeople[kind], !people.isEmpty else { continue }
            if scope.allYoungPeople { return true }
            let hit =
                people.count <= scope.youngPeople.count
                ? people.contains(where: scope.youngPeople.contains) : scope.youngPeople.contains(where: people.contains)
            if hit { return true }
        }
        return false
    }
}
