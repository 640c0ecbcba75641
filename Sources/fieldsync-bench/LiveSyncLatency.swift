import FieldSyncProtocol
import Foundation

/// The live-sync workload (`--workloads live`): 100 devices hold a watch (`GET /v1/changes/watch`, read as raw server-sent
/// events) and are co-workers of one young person; another device, that young person's key worker,
/// creates one visit for them at a time, 20 times. Each watcher pulls from its cursor on every
/// poke, as `fieldsync watch` does. Measured for each push and watcher: from the push's
/// acknowledgement (its answer read by the pusher) to the watcher's pull holding the new record.
enum LiveSyncLatency {
    static let watchers = 100
    static let rounds = 20
    /// The young person every live-sync device works with.
    static let youngPerson = UUID(uuidString: "0f5e6a11-0000-4000-8000-00000000b006")!
    /// The longest one round waits for every watcher before it counts the missing ones.
    static let roundTimeout = Duration.seconds(10)

    /// When each watcher's pull first held each record.
    actor Receipts {
        private(set) var at: [UUID: [Int: ContinuousClock.Instant]] = [:]

        func record(_ ids: [UUID], watcher: Int, at instant: ContinuousClock.Instant) {
            for id in ids where at[id]?[watcher] == nil { at[id, default: [:]][watcher] = instant }
        }

        func count(_ id: UUID) -> Int { at[id]?.count ?? 0 }
    }

    static func run(pusher: DeviceClient, watchers devices: [DeviceClient], port: Int) async throws -> Findings {
        var cursors: [String?] = []
        for device in devices { cursors.append(try await FeedPuller.pull(device, from: nil, limit: 1_000, keepRecords: false).cursor) }
        let streams = try devices.enumerated().map { index, device in
            try WatchStream(name: device.name, port: port, token: device.token, after: cursors[index])
        }
        defer { for stream in streams { stream.close() } }
        // Bounded: 10 s for every watch to say it is ready.
        for _ in 0..<1_000 where !streams.allSatisfy(\.isReady) {
            if let broken = streams.first(where: { $0.ended != nil }) {
                throw BenchError("Live sync: \(broken.name)'s watch ended: \(broken.ended ?? "")")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        guard streams.allSatisfy(\.isReady) else { throw BenchError("Live sync: not every watch said it was ready within 10 s.") }

        let receipts = Receipts()
        var acknowledged: [(id: UUID, at: ContinuousClock.Instant)] = []
        var problems: [String] = []
        let failures = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, device) in devices.enumerated() {
                let stream = streams[index]
                let cursor = cursors[index]
                group.addTask { await follow(device, stream: stream, from: cursor, watcher: index, receipts: receipts) }
            }
            for round in 0..<rounds {
                let id = UUID()
                let changeSet = ChangeSet(
                    deviceSequence: Int64(round + 1),
                    operations: [
                        .create(id, kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string("Live sync round \(round + 1)")])
                    ]
                )
                let answer = try await pusher.push(try WireProtocol.makeEncoder().encode(changeSet))
                let at = ContinuousClock.now
                guard answer.status == 200 else {
                    problems.append("round \(round + 1): HTTP \(answer.status)")
                    continue
                }
                acknowledged.append((id, at))
                // Bounded: until every watcher holds it, or the round's time is up.
                let deadline = at + roundTimeout
                while await receipts.count(id) < devices.count, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await Task.sleep(for: .milliseconds(50))  // rounds apart, so each measures one push alone
            }
            for stream in streams { stream.close() }
            var failures: [String] = []
            for try await found in group { failures += found }
            return failures
        }

        let held = await receipts.at
        var latencies: [Double] = []
        var missing = 0
        for (id, ackedAt) in acknowledged {
            for watcher in devices.indices {
                guard let at = held[id]?[watcher] else {
                    missing += 1
                    continue
                }
                // A pull can finish before the pusher has read its answer: that counts as 0.
                latencies.append(max(0, Elapsed.seconds(ackedAt.duration(to: at))))
            }
        }
        var f = Findings()
        f.add(
            "live.p50", "Live sync: push acknowledged to each watcher holding the record, p50", "ms",
            Stats.percentile(latencies, 0.50) * 1000,
            decimals: 1)
        f.add(
            "live.p99", "Live sync: push acknowledged to each watcher holding the record, p99", "ms",
            Stats.percentile(latencies, 0.99) * 1000,
            decimals: 1)
        f.add("live.max", "Live sync: the same, max", "ms", (latencies.max() ?? 0) * 1000, decimals: 1)
        f.add("live.samples", "Live sync: pushes × watchers measured", latencies.count)
        f.check(
            "Live sync: every watcher pulled every pushed record after a poke", problems.isEmpty && failures.isEmpty && missing == 0,
            (problems + failures).isEmpty
                ? "\(latencies.count) of \(acknowledged.count * devices.count), missing \(missing)"
                : (problems + failures).prefix(3).joined(separator: "; "))
        return f
    }

    /// One watcher: a pull from its cursor on every poke, until its watch ends.
    private static func follow(
        _ device: DeviceClient, stream: WatchStream, from start: String?, watcher: Int, receipts: Receipts
    ) async -> [String] {
        var cursor = start
        for await _ in stream.pokes {
            do {
                let pulled = try await FeedPuller.pull(device, from: cursor, limit: 1_000)
                let at = ContinuousClock.now
                cursor = pulled.cursor
                await receipts.record(pulled.records.map(\.id), watcher: watcher, at: at)
            } catch {
                return ["\(device.name): \(error)"]
            }
        }
        return []
    }
}
