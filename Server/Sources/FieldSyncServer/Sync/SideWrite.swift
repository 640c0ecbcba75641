import FieldSyncProtocol
import Foundation
import GRDB
import ServiceLifecycle

/// A small write a read makes: the pull's scope snapshot, an audit entry for a read of case
/// content, a device's health report. Reads never take the write lock themselves: they hand
/// these to the ``GroupCommitWriter``, which folds them into its next group transaction (so 200
/// pulls cost one commit, not 200, and no pull waits behind a push for the lock).
enum SideWrite: Sendable {
    /// An audit trail entry (domain model 2.5).
    case audit(AuditLog.Event)
    /// What a device said about itself on a request (device health, contract 5.5).
    case deviceReport(DeviceReport, device: UUID)
    /// A new generation of a device's scope; its number is the write's result.
    case scopeSnapshot(device: UUID, scope: AccessScope)
    /// Views made on a device, each stored once (``OfflineViews``); the highest view sequence
    /// held for the device is the write's result.
    case offlineViews([DeviceViewEntry], device: AuthenticatedDevice)

    /// Writes it inside the writer's transaction; the new generation for a scope snapshot.
    func apply(at time: String, auditHead: AuditLog.Head, in db: Database) throws -> Int64? {
        switch self {
        case .audit(let event):
            try AuditLog.append(event, at: time, head: auditHead, in: db)
            return nil
        case .deviceReport(let report, let device):
            try db.cachedStatement(sql: DeviceReport.sql).execute(
                arguments: StatementArguments(report.arguments(at: time, device: device.uuidString)))
            return nil
        case .scopeSnapshot(let device, let scope):
            // Numbered in the writer, so two pulls of one device at once never take the same number.
            let generation =
                (try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT MAX(generation) FROM scope_snapshots WHERE device_id = ?"),
                    arguments: [device.uuidString]) ?? 0) + 1
            try db.cachedStatement(sql: "INSERT INTO scope_snapshots(device_id, generation, scope, created_at) VALUES (?, ?, ?, ?)")
                .execute(arguments: [device.uuidString, generation, try WireProtocol.makeEncoder().encode(scope), time])
            return generation
        case .offlineViews(let entries, let device):
            return try OfflineViews.store(entries, by: device, at: time, auditHead: auditHead, in: db)
        }
    }
}

extension DeviceReport: Equatable {
    static func == (a: DeviceReport, b: DeviceReport) -> Bool {
        a.client == b.client && a.protocolVersion == b.protocolVersion && a.unsent == b.unsent
            && a.oldestUnsentSeconds == b.oldestUnsentSeconds
    }
}

/// Whether a read waits for its audit entry to be committed before it is answered
/// (docs/decisions.md, "Reads are audited through the writer").
public enum ReadAuditMode: String, Sendable, CaseIterable {
    /// Answer only once the entry is durable: no read is ever unaudited, at the cost of waiting
    /// for the writer's next group commit (behind whatever group is in progress).
    case strict
    /// Never wait behind a push: when the writer is committing a group, answer at once and commit
    /// the entry with its next group (milliseconds later; flushed when the server stops); when it
    /// is idle, commit the entry first (a small commit that holds nobody up). A crash in the gap
    /// can lose the entry of a read answered while pushes were being committed.
    case deferred
}

/// Commits the side writes still waiting when the server stops (the deferred audit entries of the
/// last reads), after the HTTP server has stopped taking requests.
struct SideWriteFlusher: Service {
    let writer: GroupCommitWriter

    func run() async throws {
        // Sleeps until the server is told to stop (graceful shutdown cancels the sleep).
        try? await gracefulShutdown()
        await writer.flush()
    }
}
