import FieldSyncProtocol
import Foundation
import GRDB

/// Serialises all change-set writes and commits them in groups.
///
/// Each commit in WAL mode with `synchronous = FULL` costs one fsync (about 4 ms here). Rather
/// than one commit per change set, the writer takes every change set waiting at that moment,
/// applies each in its own savepoint (so each stays all-or-nothing and independent of the
/// others), and commits them together: one fsync for the group. Nobody is answered before the
/// commit, so an acknowledgement still means durable.
actor GroupCommitWriter {
    struct Pending {
        let changeSet: PreparedChangeSet
        let device: AuthenticatedDevice
        let report: DeviceReport?
        let continuation: CheckedContinuation<AppliedChangeSet, any Error>
    }

    private let database: ServerDatabase
    private var pending: [Pending] = []
    private var draining = false
    /// Most change sets in one commit; bounds the latency one group adds.
    private let maxGroup = 64

    /// Keeps the WAL short (nil in tests that run no checkpointer).
    private let checkpointer: WALCheckpointer?

    init(database: ServerDatabase, checkpointer: WALCheckpointer? = nil) {
        self.database = database
        self.checkpointer = checkpointer
    }

    func apply(_ changeSet: ChangeSet, by device: AuthenticatedDevice, report: DeviceReport? = nil) async throws -> ChangeSetResult {
        try await apply(PreparedChangeSet(changeSet), by: device, report: report).result
    }

    func apply(_ changeSet: PreparedChangeSet, by device: AuthenticatedDevice, report: DeviceReport? = nil) async throws -> AppliedChangeSet {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Pending(changeSet: changeSet, device: device, report: report, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let group = Array(pending.prefix(maxGroup))
            pending.removeFirst(group.count)
            let work = group.map { ($0.changeSet, $0.device, $0.report) }
            do {
                let outcomes = try await database.pool.write { db -> [Result<AppliedChangeSet, any Error>] in
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
                    return outcomes
                }
                for (item, outcome) in zip(group, outcomes) { item.continuation.resume(with: outcome) }
                if let checkpointer {
                    checkpointer.committed()
                    if checkpointer.walNeedsRestart {
                        try? await database.pool.writeWithoutTransaction { db in checkpointer.restart(db) }
                    }
                }
            } catch {
                // The commit itself failed: nothing of the group is stored, so nobody is acknowledged.
                for item in group { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
