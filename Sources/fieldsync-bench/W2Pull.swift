import FieldSyncProtocol
import Foundation

/// W2 (pull): a fresh device pulls the whole feed (pages of 1,000, following the cursor); another
/// device pushes 100 new records; the first pulls from its cursor and must get exactly those 100.
enum W2Pull {
    static let pageSize = 1_000
    static let extraRecords = 100
    static let changeSetSize = 50

    struct Outcome: Sendable {
        var findings = Findings()
        /// Every record as the full pull delivered it (what W3's devices edit from).
        let snapshot: [UUID: RecordSnapshot]
        /// The reader's cursor after its last pull.
        let cursor: String?
    }

    /// The full pull alone: run even when W2 is not reported, since W3 edits from what it saw.
    static func fullPull(reader: DeviceClient, server: ServerProcess, expected: Set<UUID>) async throws -> (Findings, FeedPuller.Result) {
        let before = ProcessStats.cpuSeconds(pid: server.pid)
        let pulled = try await FeedPuller.pull(reader, from: nil, limit: pageSize)
        let after = ProcessStats.cpuSeconds(pid: server.pid)
        var f = Findings()
        f.add("w2.fullHTTP", "W2 full pull: time in HTTP (send to body read)", "s", pulled.httpSeconds)
        f.add("w2.fullWall", "W2 full pull: wall incl. decoding pages", "s", pulled.wallSeconds)
        f.add("w2.fullPages", "W2 full pull: pages", pulled.pages)
        f.add("w2.fullRecords", "W2 full pull: records", pulled.records.count)
        f.add("w2.fullMB", "W2 full pull: response bytes (uncompressed)", "MB", Double(pulled.decodedBytes) / 1_000_000, decimals: 2)
        f.add("w2.fullWireMB", "W2 full pull: response bytes on the wire", "MB", Double(pulled.bytes) / 1_000_000, decimals: 2)
        if let before, let after { f.add("w2.fullServerCPU", "W2 full pull: server CPU", "s", after - before, decimals: 2) }
        let ids = pulled.records.map(\.id)
        f.check(
            "W2: full pull ids equal W1's ids", ids.count == expected.count && Set(ids) == expected,
            "\(ids.count) pulled (\(Set(ids).count) distinct) for \(expected.count) pushed in W1")
        f.note(
            pulled.contentEncodings.isEmpty
                ? "W2: the server sent every page uncompressed (no Content-Encoding), so the bytes above are the bytes on the wire."
                : "W2: pages came with Content-Encoding \(pulled.contentEncodings.sorted().joined(separator: ",")); the wall time includes inflating them."
        )
        return (f, pulled)
    }

    static func run(
        reader: DeviceClient, writer: DeviceClient, server: ServerProcess, expected: Set<UUID>, report: Bool
    ) async throws -> Outcome {
        let (full, pulled) = try await fullPull(reader: reader, server: server, expected: expected)
        let snapshot = Dictionary(pulled.records.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        guard report else { return Outcome(findings: Findings(), snapshot: snapshot, cursor: pulled.cursor) }
        var f = full

        // Another device pushes 100 new records in 2 change sets of 50.
        var generator = VisitGenerator(seed: Seeds.seed(.w2Writer, 0))
        let drafts = generator.nextVisits(extraRecords)
        let batch = try ChangeSetBatch(operations: drafts.map(\.operation), size: changeSetSize, ids: &generator)
        let pushStart = ContinuousClock.now
        let answers = try await BatchPusher.push(batch, from: writer)
        let pushSeconds = Elapsed.seconds(since: pushStart)
        let read = BatchPusher.verdicts(of: batch, answers: answers, device: writer.name)
        let applied = read.verdicts.filter { $0.outcome == .applied }.count
        f.add("w2.pushWall", "W2 push of 100: wall time", "s", pushSeconds)
        f.check(
            "W2: the 100 new records applied", read.problems.isEmpty && applied == extraRecords,
            read.problems.isEmpty ? "\(applied) of \(extraRecords) applied" : read.problems.prefix(3).joined(separator: "; "))

        // The reader pulls from its cursor: exactly those 100.
        let incremental = try await FeedPuller.pull(reader, from: pulled.cursor, limit: pageSize)
        f.add("w2.incHTTP", "W2 incremental pull: time in HTTP", "s", incremental.httpSeconds, decimals: 4)
        f.add("w2.incWall", "W2 incremental pull: wall incl. decoding", "s", incremental.wallSeconds, decimals: 4)
        f.add("w2.incPages", "W2 incremental pull: pages", incremental.pages)
        f.add("w2.incRecords", "W2 incremental pull: records", incremental.records.count)
        f.add("w2.incKB", "W2 incremental pull: response bytes", "KB", Double(incremental.bytes) / 1_000, decimals: 1)
        let got = incremental.records.map(\.id)
        let wanted = drafts.map(\.id)
        f.check(
            "W2: incremental pull got exactly the 100 new records", got.count == wanted.count && Set(got) == Set(wanted),
            "\(got.count) pulled (\(Set(got).intersection(wanted).count) of the \(wanted.count) new ones)")
        return Outcome(findings: f, snapshot: snapshot, cursor: incremental.cursor)
    }
}
