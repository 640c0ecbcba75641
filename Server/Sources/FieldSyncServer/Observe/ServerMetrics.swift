import CoreMetrics
import FieldSyncProtocol
import Foundation

/// Every metric the server records, named once (docs/operations.md, "Metrics").
///
/// Recorded through swift-metrics' global `MetricsSystem`: the executable bootstraps it with a
/// Prometheus factory when `serve --metrics-port` is given; otherwise the calls go to the no-op
/// backend and cost next to nothing. The names are Prometheus names as they are exposed.
enum ServerMetrics {
    // MARK: HTTP (recorded by ``RequestObservationMiddleware``)

    static func request(method: String, route: String, status: Int, duration: Duration) {
        Counter(label: "fieldsync_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))])
            .increment()
        CoreMetrics.Timer(label: "fieldsync_http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    // MARK: Pushes (recorded by ``GroupCommitWriter`` after each commit)

    /// One change set's fate: `accepted`, `replayed` (a repeat answered from the store) or `failed`
    /// (refused whole: out of order, id reused, or the commit failed).
    static func changeSet(_ outcome: String) {
        Counter(label: "fieldsync_changesets_total", dimensions: [("outcome", outcome)]).increment()
    }

    static func operations(_ verdicts: [OperationVerdict]) {
        var counts: [Outcome: Int] = [:]
        for verdict in verdicts { counts[verdict.outcome, default: 0] += 1 }
        for (outcome, count) in counts {
            Counter(label: "fieldsync_operations_total", dimensions: [("outcome", outcome.rawValue)]).increment(by: count)
        }
    }

    static func conflicts(_ tally: ConflictTally) {
        if tally.opened > 0 { Counter(label: "fieldsync_conflicts_opened_total").increment(by: tally.opened) }
        if tally.resolved > 0 {
            Counter(label: "fieldsync_conflicts_closed_total", dimensions: [("how", "resolved")]).increment(by: tally.resolved)
        }
        if tally.superseded > 0 {
            Counter(label: "fieldsync_conflicts_closed_total", dimensions: [("how", "superseded")]).increment(by: tally.superseded)
        }
    }

    /// One group commit: how many change sets and side writes it held, and how long the write
    /// transaction (with its fsync) took.
    static func commit(changeSets: Int, sideWrites: Int, duration: Duration, failed: Bool) {
        Recorder(label: "fieldsync_commit_group_changesets").record(changeSets)
        Recorder(label: "fieldsync_commit_group_side_writes").record(sideWrites)
        CoreMetrics.Timer(label: "fieldsync_commit_duration_seconds").recordNanoseconds(Self.nanoseconds(duration))
        if failed { Counter(label: "fieldsync_commit_failures_total").increment() }
    }

    /// A pushed body the fast reader could not take, read again by `JSONDecoder`.
    static func changeSetDecodeFallback() {
        Counter(label: "fieldsync_changeset_decode_fallbacks_total").increment()
    }

    static func checkpoint(blocked: Bool) {
        Counter(label: "fieldsync_wal_checkpoints_total", dimensions: [("result", blocked ? "blocked" : "done")]).increment()
    }

    // MARK: Pulls

    /// One pull page as ``FeedReader`` made it: its records and its JSON size.
    static func pullPage(records: Int, bytes: Int) {
        Recorder(label: "fieldsync_pull_records").record(records)
        Recorder(label: "fieldsync_pull_bytes").record(bytes)
    }

    /// One pull page as the route sent it: `identity` or `gzip`, and the bytes on the wire.
    static func pullSent(bytes: Int, encoding: String) {
        Counter(label: "fieldsync_pulls_total", dimensions: [("encoding", encoding)]).increment()
        Counter(label: "fieldsync_pull_sent_bytes_total", dimensions: [("encoding", encoding)]).increment(by: bytes)
    }

    // MARK: Live sync (recorded by ``FeedNotifier``)

    /// Watches open now.
    static func watches(open: Int) {
        Gauge(label: "fieldsync_watches").record(open)
    }

    /// A watch refused: `device` (past the per-device bound), `total` (past the server's) or `stopping`.
    static func watchRefused(_ reason: String) {
        Counter(label: "fieldsync_watch_refusals_total", dimensions: [("reason", reason)]).increment()
    }

    /// Watches a commit woke to pull.
    static func pokes(_ count: Int) {
        if count > 0 { Counter(label: "fieldsync_watch_pokes_total").increment(by: count) }
    }

    // MARK: Read at scrape time (``MetricsEndpoint``)

    static func storeGauges(_ reading: StoreReading) {
        Gauge(label: "fieldsync_feed_head").record(reading.feedHead)
        Gauge(label: "fieldsync_wal_bytes").record(reading.walBytes)
        for (bucket, count) in reading.devicesByLastContact {
            Gauge(label: "fieldsync_devices", dimensions: [("last_contact", bucket.rawValue)]).record(count)
        }
    }

    /// Value-histogram buckets for the recorders above (the Prometheus factory's defaults are for seconds).
    static let valueBuckets: [String: [Double]] = [
        "fieldsync_commit_group_changesets": [0, 1, 2, 4, 8, 16, 32, 64],
        "fieldsync_commit_group_side_writes": [0, 1, 4, 16, 64, 256, 1000],
        "fieldsync_pull_records": [0, 1, 10, 100, 500, 1000, 2500, 5000],
        "fieldsync_pull_bytes": [1_000, 10_000, 100_000, 1_000_000, 4_000_000, 16_000_000],
    ]

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
