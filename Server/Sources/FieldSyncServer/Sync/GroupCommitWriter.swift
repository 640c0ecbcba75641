import FieldSyncProtocol
import Foundation
import GRDB
import Logging

/// Serialises all change-set writes and commits them in groups.
///
/// Each commit in WAL mode with `synchronous = FULL` costs one fsync (about 4 ms here). Rather
/// than one commit per change set, the writer takes every change set waiting at that moment,
/// applies each in its own savepoint (so each stays all-or-nothing and independent of the
/// others), and commits them together: one fsync for the group. Nobody is answered before the
/// commit, so an acknowledgement still means durable.
///
/// Reads hand the writer their small writes (``SideWrite``: audit entries, device reports, scope
/// snapshots); each group transaction takes every side write waiting, after its change sets, so
/// reads never take the write lock on their own and many reads share one commit.
actor GroupCommitWriter {
    struct Pending {
        let changeSet: PreparedChangeSet
        let device: AuthenticatedDevice
        let report: DeviceReport?
        let continuation: CheckedContinuation<AppliedChangeSet, any Error>
    }

    private let database: ServerDatabase
    private var pending: [Pending] = []
    private var sideWrites: [PendingSideWrites] = []
    private var draining = false
    /// Most change sets in one commit; bounds the latency one group adds.
    private let maxGroup = 64
    /// Most side-write batches in one commit (each is a few rows).
    private let maxSideGroup = 1_000

    struct PendingSideWrites {
        let writes: [SideWrite]
        /// Nil when nobody waits for the commit (``enqueue(_:)``).
        let continuation: CheckedContinuation<[Int64?], any Error>?
    }

    /// Keeps the WAL short (nil in tests that run no checkpointer).
    private let checkpointer: WALCheckpointer?

    /// Where a side write nobody waited for is reported if it could not be stored.
    private let logger: Logger?

    /// Told after each commit what it added to the feed, for live sync (nil: nobody watches).
    private let notifier: FeedNotifier?

    init(database: ServerDatabase, checkpointer: WALCheckpointer? = nil, logger: Logger? = nil, notifier: FeedNotifier? = nil) {
        self.database = database
        self.checkpointer = checkpointer
        self.logger = logger
        self.notifier = notifier
    }

    func apply(_ changeSet: ChangeSet, by device: AuthenticatedDevice, report: DeviceReport? = nil) async throws -> ChangeSetResult {
        try await apply(PreparedChangeSet(changeSet), by: device, report: report).result
    }

    func apply(_ changeSet: PreparedChangeSet, by device: AuthenticatedDevice, report: DeviceReport? = nil) async throws -> AppliedChangeSet
    {
        // Written with the push: a pull's report just after it is compared with this one, so a
        // device that sent its last change and reports none left is not taken for a repeat.
        if let report { lastReports[device.deviceId] = (report, ContinuousClock.now) }
        return try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(changeSet: changeSet, device: device, report: report, continuation: continuation))
            startDraining()
        }
    }

    /// Commits `writes` with the next group and returns once they are durable: each write's result
    /// (the generation of a scope snapshot, else nil). All or nothing.
    func commit(_ requested: [SideWrite]) async throws -> [Int64?] {
        let writes = withoutRepeatedReports(requested)
        if writes.isEmpty && !requested.isEmpty { return [] }  // only repeated reports: nothing to write
        return try await withCheckedThrowingContinuation { continuation in
            sideWrites.append(PendingSideWrites(writes: writes, continuation: continuation))
            startDraining()
        }
    }

    /// Hands `writes` to the next group and returns at once (they are committed milliseconds
    /// later, or when the server stops: ``flush()``).
    func enqueue(_ writes: [SideWrite]) {
        let writes = withoutRepeatedReports(writes)
        guard !writes.isEmpty else { return }
        sideWrites.append(PendingSideWrites(writes: writes, continuation: nil))
        startDraining()
    }

    /// Commits `writes` and waits, when the writer is idle (a small commit of its own that holds
    /// nobody up); hands them to the next group without waiting when a group is in progress, so
    /// the caller never waits behind a push.
    func commitUnlessBusy(_ writes: [SideWrite]) async throws {
        if draining {
            enqueue(writes)
        } else {
            _ = try await commit(writes)
        }
    }

    /// Returns once everything handed to the writer so far is committed (or failed).
    func flush() async {
        guard draining || !pending.isEmpty || !sideWrites.isEmpty else { return }
        _ = try? await commit([])
    }

    /// Side writes nobody waited for that could not be stored (each is also logged).
    private(set) var lostSideWrites = 0

    private func lost(_ writes: [SideWrite], _ error: any Error) {
        lostSideWrites += 1
        logger?.error("A read's audit entry or device report could not be stored: \(error)", metadata: ["writes": "\(writes.count)"])
    }

    /// The last health report written for each device by a side write, and when.
    private var lastReports: [UUID: (report: DeviceReport, at: ContinuousClock.Instant)] = [:]
    /// A device that polls reports the same health many times a second; the same report again
    /// within this interval is not written again (its last contact is then at most this stale).
    private let reportInterval = Duration.seconds(5)

    private func withoutRepeatedReports(_ writes: [SideWrite]) -> [SideWrite] {
        writes.filter { write in
            guard case .deviceReport(let report, let device) = write else { return true }
            let now = ContinuousClock.now
            if let last = lastReports[device], last.report == report, now - last.at < reportInterval { return false }
            lastReports[device] = (report, now)
            return true
        }
    }

    private func startDraining() {
        if !draining {
            draining = true
            Task { await self.drain() }
        }
    }

    private func drain() async {
        // Bounded: each round takes at least one waiting item off the queues.
        while !pending.isEmpty || !sideWrites.isEmpty {
            let group = Array(pending.prefix(maxGroup))
            pending.removeFirst(group.count)
            let sideGroup = Array(sideWrites.prefix(maxSideGroup))
            sideWrites.removeFirst(sideGroup.count)
            let work = group.map { ($0.changeSet, $0.device, $0.report) }
            let sideWork = sideGroup.map(\.writes)
            let started = ContinuousClock.now
            do {
                let (outcomes, sideOutcomes) = try await database.pool.write {
                    db -> ([Result<AppliedChangeSet, any Error>], [Result<[Int64?], any Error>]) in
                    let applier = ChangeSetApplier()
                    let receivedAt = WireTime.now()
                    let auditHead = AuditLog.Head()
                    let scopes = AccessScopeCache()
                    var outcomes: [Result<AppliedChangeSet, any Error>] = []
                    for (changeSet, device, report) in work {
                        var result: AppliedChangeSet?
                        do {
                            try db.inSavepoint {
                                result = try applier.apply(
                                    changeSet, by: device, receivedAt: receivedAt, report: report, auditHead: auditHead, scopes: scopes,
                                    in: db)
                                return .commit
                            }
                            outcomes.append(.success(result!))
                        } catch {
                            auditHead.hash = nil  // the rolled-back entries are gone: read the head again
                            outcomes.append(.failure(error))
                        }
                    }
                    var sideOutcomes: [Result<[Int64?], any Error>] = []
                    for writes in sideWork {
                        var results: [Int64?] = []
                        do {
                            try db.inSavepoint {
                                results = try writes.map { try $0.apply(at: receivedAt, auditHead: auditHead, in: db) }
                                return .commit
                            }
                            sideOutcomes.append(.success(results))
                        } catch {
                            auditHead.hash = nil
                            sideOutcomes.append(.failure(error))
                        }
                    }
                    return (outcomes, sideOutcomes)
                }
                ServerMetrics.commit(
                    changeSets: group.count, sideWrites: sideGroup.count, duration: ContinuousClock.now - started, failed: false)
                for outcome in outcomes { Self.record(outcome) }
                if let notifier {
                    // After the commit: a watcher's pull must find what it was poked for.
                    var changes = FeedChanges()
                    for case .success(let applied) in outcomes { changes.formUnion(applied.feedChanges) }
                    notifier.committed(changes)
                }
                for (item, outcome) in zip(group, outcomes) { item.continuation.resume(with: outcome) }
                for (item, outcome) in zip(sideGroup, sideOutcomes) {
                    if let continuation = item.continuation {
                        continuation.resume(with: outcome)
                    } else if case .failure(let error) = outcome {
                        lost(item.writes, error)
                    }
                }
                if let checkpointer {
                    checkpointer.committed()
                    if checkpointer.walNeedsRestart {
                        try? await database.pool.writeWithoutTransaction { db in checkpointer.restart(db) }
                    }
                }
            } catch {
                // The commit itself failed: nothing of the group is stored, so nobody is acknowledged.
                ServerMetrics.commit(
                    changeSets: group.count, sideWrites: sideGroup.count, duration: ContinuousClock.now - started, failed: true)
                for _ in group { ServerMetrics.changeSet("failed") }
                for item in group { item.continuation.resume(throwing: error) }
                for item in sideGroup {
                    if let continuation = item.continuation { continuation.resume(throwing: error) } else { lost(item.writes, error) }
                }
            }
        }
        draining = false
    }

    /// One change set's outcome in the metrics (a replay's verdicts were counted the first time).
    private static func record(_ outcome: Result<AppliedChangeSet, any Error>) {
        switch outcome {
        case .success(let applied) where applied.result.replayed:
            ServerMetrics.changeSet("replayed")
        case .success(let applied):
            ServerMetrics.changeSet("accepted")
            ServerMetrics.operations(applied.result.verdicts)
            ServerMetrics.conflicts(applied.conflicts)
        case .failure:
            ServerMetrics.changeSet("failed")
        }
    }
}
