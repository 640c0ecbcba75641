import FieldSyncProtocol
import Foundation
import Testing

@testable import FieldSyncServer

@Suite("Live sync's notifier: pokes by scope, bounds, and nothing lost while a watcher is busy")
struct FeedNotifierTests {
    static let yp = UUID()
    static let other = UUID()
    static let adviser = AccessScope(allYoungPeople: false, youngPeople: [yp], kinds: [.visit, .pep])
    static let virtualSchool = AccessScope(allYoungPeople: true, youngPeople: [], kinds: [.pep])

    static func changes(_ kind: RecordKind, _ people: [UUID]) -> FeedChanges {
        var changes = FeedChanges()
        for person in people { changes.add(kind, youngPerson: person) }
        return changes
    }

    @Test("A commit pokes only the watchers whose scope it touches")
    func pokesByScope() throws {
        let notifier = FeedNotifier()
        let adviser = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: notifier.commits)
        let school = try notifier.open(device: UUID(), scope: Self.virtualSchool, commitsBefore: notifier.commits)
        notifier.committed(Self.changes(.visit, [Self.other]))
        #expect(notifier.take(adviser).poke == nil && notifier.take(school).poke == nil)
        notifier.committed(Self.changes(.visit, [Self.yp]))
        #expect(notifier.take(adviser).poke?.reason == "changes")
        #expect(notifier.take(school).poke == nil, "the Virtual School sees no visits")
        notifier.committed(Self.changes(.pep, [Self.other]))
        #expect(notifier.take(school).poke != nil && notifier.take(adviser).poke == nil)
    }

    @Test("A device is not poked for its own change sets (it pulls after it pushes), but is when another's share the commit")
    func ownChangesDoNotPoke() throws {
        let notifier = FeedNotifier()
        let device = UUID()
        let watch = try notifier.open(device: device, scope: Self.adviser, commitsBefore: notifier.commits)
        var own = FeedChanges(by: device)
        own.add(.visit, youngPerson: Self.yp)
        notifier.committed(own)
        #expect(notifier.take(watch).poke == nil)
        var group = FeedChanges()
        group.formUnion(own)
        var another = FeedChanges(by: UUID())
        another.add(.visit, youngPerson: Self.other)
        group.formUnion(another)
        notifier.committed(group)
        #expect(notifier.take(watch).poke != nil, "the commit holds another device's change too")
    }

    @Test("Past the bound on young people a commit pokes every watcher of that kind")
    func wholeKind() {
        let many = Self.changes(.visit, (0...FeedChanges.maxYoungPeople).map { _ in UUID() })
        #expect(many.concerns(Self.adviser))
        #expect(!many.concerns(Self.virtualSchool))
    }

    @Test("What a busy watcher must do waits in its entry: many commits and a heartbeat make one wake-up, none lost")
    func mergedWhileBusy() async throws {
        let notifier = FeedNotifier()
        let watch = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: notifier.commits)
        notifier.started(watch)
        for _ in 0..<1_000 { notifier.committed(Self.changes(.visit, [Self.yp])) }
        notifier.tick(now: .now + .seconds(notifier.limits.heartbeatSeconds))
        var wakes = watch.wakes.makeAsyncIterator()
        #expect(await wakes.next() != nil)
        let due = notifier.take(watch)
        #expect(due.poke != nil && due.heartbeat && due.ending == nil)
        #expect(notifier.take(watch) == WatchDue())
    }

    @Test("Watches are bounded per device and in all, with a code and a sentence; closing frees the place")
    func bounds() throws {
        var limits = WatchLimits()
        limits.perDevice = 2
        limits.total = 3
        let notifier = FeedNotifier(limits: limits)
        let device = UUID()
        let first = try notifier.open(device: device, scope: Self.adviser, commitsBefore: 0)
        _ = try notifier.open(device: device, scope: Self.adviser, commitsBefore: 0)
        #expect(throws: APIError.self) { try notifier.open(device: device, scope: Self.adviser, commitsBefore: 0) }
        do {
            _ = try notifier.open(device: device, scope: Self.adviser, commitsBefore: 0)
        } catch {
            #expect(error.description.hasPrefix("429 too_many_watches:") && error.retryAfterSeconds != nil)
        }
        _ = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: 0)
        #expect(throws: APIError.self) { try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: 0) }
        notifier.close(first)
        _ = try notifier.open(device: device, scope: Self.adviser, commitsBefore: 0)
        #expect(notifier.openWatches == 3)
    }

    @Test("A watch opened after a commit it may not have read says so; shutdown ends every watch and refuses new ones")
    func missedCommitAndShutdown() throws {
        let notifier = FeedNotifier()
        let before = notifier.commits
        notifier.committed(Self.changes(.visit, [Self.other]))
        let watch = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: before)
        #expect(watch.missedCommit)
        notifier.shutDown()
        #expect(notifier.take(watch).ending == .shutdown)
        #expect(throws: APIError.self) { try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: notifier.commits) }
    }

    @Test("A watch ends at the end of its lifetime; one whose answer never started is dropped")
    func lifetimeAndUnstarted() throws {
        let notifier = FeedNotifier()
        let started = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: 0)
        notifier.started(started)
        _ = try notifier.open(device: UUID(), scope: Self.adviser, commitsBefore: 0)
        notifier.tick(now: .now + .seconds(notifier.limits.lifetimeSeconds + 1))
        #expect(notifier.take(started).ending == .lifetime)
        #expect(notifier.openWatches == 1)
    }
}
