import FieldSyncProtocol
import Foundation
import GRDB

/// What the metrics listener reads from the store at each scrape: the feed head, the WAL's size
/// and how recently the devices were last heard from. Read then rather than on every write, so
/// the push path pays nothing for them.
struct StoreReading: Sendable {
    /// How long ago a device (not revoked) last pushed or pulled.
    enum LastContact: String, CaseIterable, Sendable {
        case withinHour = "1h"
        case withinDay = "24h"
        case withinWeek = "7d"
        case older
        case never
    }

    var feedHead: Int64
    var walBytes: Int
    var devicesByLastContact: [LastContact: Int]

    static func read(from database: ServerDatabase, now: Date = Date()) async throws -> StoreReading {
        let (head, seen) = try await database.pool.read { db in
            let head = try Int64.fetchOne(db, sql: "SELECT value FROM feed_counter WHERE id = 1") ?? 0
            let seen = try String?.fetchAll(db, sql: "SELECT last_seen_at FROM devices WHERE revoked_at IS NULL")
            return (head, seen)
        }
        var buckets = Dictionary(uniqueKeysWithValues: LastContact.allCases.map { ($0, 0) })
        for text in seen {
            buckets[Self.bucket(text.flatMap(WireTime.parse), now: now), default: 0] += 1
        }
        let wal = ((try? FileManager.default.attributesOfItem(atPath: database.path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
        return StoreReading(feedHead: head, walBytes: wal, devicesByLastContact: buckets)
    }

    static func bucket(_ lastSeen: Date?, now: Date) -> LastContact {
        guard let lastSeen else { return .never }
        let age = now.timeIntervalSince(lastSeen)
        if age <= 3_600 { return .withinHour }
        if age <= 86_400 { return .withinDay }
        if age <= 7 * 86_400 { return .withinWeek }
        return .older
    }
}
