import FieldSyncProtocol
import Foundation

/// A point of the audit trail written down elsewhere: how many entries it had and the newest
/// entry's hash. The chain alone cannot show that its newest entries were cut off (what is left
/// still checks out); compared with an anchor kept out of the data folder's reach (another
/// machine, a ticket, a log collector), a shorter trail or a different hash at the anchored
/// entry shows the trail was truncated or rewritten.
public struct AuditAnchor: Codable, Sendable, Equatable {
    public var format = "fieldsync-audit-anchor"
    public var version = 1
    /// Entries in the trail when the anchor was taken (the newest entry's id).
    public var entries: Int64
    /// The hash of entry `entries`.
    public var head: String
    public var takenAt: String
    /// The fingerprint of the audit key the trail was keyed with (nil before the key).
    public var key: String?

    public init(entries: Int64, head: String, takenAt: String, key: String?) {
        self.entries = entries
        self.head = head
        self.takenAt = takenAt
        self.key = key
    }

    /// Reads an anchor file, with a sentence when it is not one.
    public static func read(from path: String) throws(AdminError) -> AuditAnchor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminError("anchor_unreadable", "Cannot read the anchor file \(path).")
        }
        guard let anchor = try? JSONDecoder().decode(AuditAnchor.self, from: data), anchor.format == "fieldsync-audit-anchor",
            anchor.version == 1, anchor.entries >= 0
        else {
            throw AdminError(
                "anchor_invalid", "\(path) is not a FieldSync audit anchor (made by: fieldsync-server admin audit anchor --out FILE).")
        }
        return anchor
    }

    /// What the trail shows against this anchor: nil when it agrees, else a sentence.
    func mismatch(lastId: Int64, hashAtAnchor: String?) -> String? {
        if lastId < entries {
            return "the trail has \(lastId) entries, but the anchor taken at \(takenAt) recorded \(entries): "
                + "the newest \(entries - lastId) entries were removed"
        }
        if entries > 0, hashAtAnchor != head {
            return hashAtAnchor == nil
                ? "entry \(entries), which the anchor taken at \(takenAt) names, is missing"
                : "entry \(entries) does not have the hash the anchor taken at \(takenAt) recorded: the trail was rewritten at or before entry \(entries) and its hashes recomputed"
        }
        return nil
    }
}
