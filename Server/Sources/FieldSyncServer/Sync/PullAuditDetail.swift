import FieldSyncProtocol
import Foundation

/// The detail of a `SYNC_DOWNLOAD` audit entry: what one pull sent. ``FeedReader`` writes it and
/// the lost-device manifest reads it back, so both go through this one format:
/// `records=N after=<cursor> cursor=<cursor>[ catch-up] removed=<ids, comma-separated>`.
struct PullAuditDetail: Sendable, Equatable {
    var records: Int
    /// The cursor the device sent.
    var after: FeedCursor
    /// The cursor the page gave the device: what it holds once it has stored the page.
    var cursor: FeedCursor
    var isCatchUp: Bool
    /// Young people the page told the device to remove.
    var removed: [UUID]

    var text: String {
        "records=\(records) after=\(after.token) cursor=\(cursor.token)\(isCatchUp ? " catch-up" : "") removed="
            + removed.map { $0.uuidString.lowercased() }.sorted().joined(separator: ",")
    }
}

extension PullAuditDetail {
    /// Nil for a detail that is not in this format (entries written by an older version say so
    /// in the manifest rather than being guessed at).
    init?(text: String) {
        var values: [Substring: Substring] = [:]
        var catchUp = false
        for word in text.split(separator: " ") {
            if word == "catch-up" {
                catchUp = true
                continue
            }
            guard let equals = word.firstIndex(of: "=") else { return nil }
            values[word[..<equals]] = word[word.index(after: equals)...]
        }
        guard let records = values["records"].flatMap({ Int($0) }), let after = values["after"].flatMap({ FeedCursor(token: String($0)) }),
            let cursor = values["cursor"].flatMap({ FeedCursor(token: String($0)) })
        else { return nil }
        var removed: [UUID] = []
        for id in (values["removed"] ?? "").split(separator: ",") {
            guard let uuid = UUID(uuidString: String(id)) else { return nil }
            removed.append(uuid)
        }
        self.init(records: records, after: after, cursor: cursor, isCatchUp: catchUp, removed: removed)
    }
}
