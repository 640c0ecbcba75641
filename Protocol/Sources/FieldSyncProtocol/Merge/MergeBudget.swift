/// The merge work one change set may cost, shared by all its operations (issue: one device must
/// not hold the single writer). A line diff costs about one unit per step of Myers' search and
/// each text merge a unit per 16 bytes it reads; once the budget is spent, every further text
/// merge in the change set is a conflict that keeps both sides whole (contract 4.3: nothing is
/// lost, it is only not merged automatically).
///
/// Used on one thread at a time (the writer's transaction), so it is a plain class.
public final class MergeBudget {
    /// About 80 ms of diffing on this project's 2-core machine (release build).
    public static let perChangeSet = 8_000_000

    public private(set) var remaining: Int

    public init(units: Int = MergeBudget.perChangeSet) {
        remaining = units
    }

    public var isSpent: Bool { remaining <= 0 }

    public func charge(_ units: Int) {
        remaining -= max(units, 0)
    }
}
