import FieldSyncProtocol
import Foundation

/// Audits reads of case content (pulls, record histories, compliance reports, device lists,
/// exports) through the writer's group commit, so a read never takes the write lock on its own.
/// In ``ReadAuditMode/strict`` each call returns once its entry is durable; in
/// ``ReadAuditMode/deferred`` it returns at once and the entry goes with the next group.
struct ReadAudit: Sendable {
    let writer: GroupCommitWriter
    let mode: ReadAuditMode

    /// The entry for a read by `device`, with what the device reported about itself.
    func record(
        _ action: AuditAction, by device: AuthenticatedDevice, record: String? = nil, youngPerson: String? = nil, detail: String,
        report: DeviceReport? = nil, mode override: ReadAuditMode? = nil
    ) async throws {
        var writes: [SideWrite] = [
            .audit(
                AuditLog.Event(
                    actor: device.userName, role: device.roleName, device: device.deviceId.uuidString.lowercased(), action: action,
                    record: record, youngPerson: youngPerson, detail: detail))
        ]
        if let report { writes.append(.deviceReport(report, device: device.deviceId)) }
        try await write(writes, mode: override ?? mode)
    }

    /// Only the device's health report, for a request that read no case content: handed to the
    /// writer without waiting (health needs no durability before the answer).
    func report(_ report: DeviceReport?, by device: AuthenticatedDevice) async {
        guard let report else { return }
        await writer.enqueue([.deviceReport(report, device: device.deviceId)])
    }

    private func write(_ writes: [SideWrite], mode: ReadAuditMode) async throws {
        switch mode {
        case .strict: _ = try await writer.commit(writes)
        case .deferred: try await writer.commitUnlessBusy(writes)
        }
    }
}
