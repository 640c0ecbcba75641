import FieldSyncClient
import FieldSyncProtocol
import Foundation

/// How `status` and edits past the lease speak about the offline lease.
enum OfflineText {
    static func describe(_ standing: OfflineStanding) -> String {
        var lines: [String] = []
        if let ends = standing.leaseEndsAt, let left = standing.leaseSecondsLeft {
            lines.append(
                standing.locked
                    ? "offline lease: ran out at \(ends); case records are not shown until a sync (erased at \(standing.eraseAt ?? "?") if none)"
                    : "offline lease: \(OfflineStanding.span(left)) left (ends \(ends); records erased at \(standing.eraseAt ?? "?") without a sync)"
            )
        } else {
            lines.append("offline lease: starts at the first sync")
        }
        if let erased = standing.erasedAt { lines.append("records erased at \(erased) (offline too long); the next sync brings them back") }
        if let warning = standing.warning, !standing.locked { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}

/// What an edit prints past the lease: only that it was saved, not the record.
struct SavedEdit: Encodable {
    let id: String
    let saved = true
    let pending = true
}

extension DeviceOptions {
    /// Confirms an edit with the record as it now is, or, past the offline lease, with its id only.
    func confirmEdit(_ updated: RecordSnapshot, on device: FieldSyncDevice, text: () -> String) throws {
        if (try? device.offlineStanding().locked) == true {
            try confirm(SavedEdit(id: updated.id.uuidString.lowercased())) {
                "Saved on this device; it will be sent on the next sync. (Case records are not shown until this device syncs: its offline lease ran out.)"
            }
        } else {
            try confirm(LocalRecord(snapshot: updated, pending: true), text: text)
        }
    }
}
