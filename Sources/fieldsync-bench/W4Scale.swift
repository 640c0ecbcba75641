import FieldSyncProtocol
import Foundation

/// W4 (scale): the W1 devices keep pushing new records, through the real API, until the store
/// holds `totalRecords`; the W2 reader catches up; then W2's incremental step is repeated (the W2
/// writer pushes 100 records, the reader pulls from its cursor) and compared with W2's own
/// incremental pull on the 10,000-record store.
enum W4Scale {
    static let changeSetSize = 50
    static let catchUpPageSize = WireProtocol.maxPageSize

    static func run(
        devices: [DeviceClient], reader: DeviceClient, readerCursor: String?, writer: DeviceClient, server: ServerProcess,
        storedBefore: Int, totalRecords: Int, smallStoreIncremental: Double?
    ) async throws -> Findings {
        var f = Findings()
        let extra = max(0, totalRecords - storedBefore)
        let perDevice = (extra + devices.count - 1) / devices.count

        // Load: every W1 device pushes its share in change sets of 50, made as it goes.
        Progress.say("W4: \(devices.count) devices push \(extra) more records (\(perDevice) each)")
        let loadStart = ContinuousClock.now
        let loaded: (applied: Int, problems: [String]) = try await withThrowingTaskGroup(of: (applied: Int, problems: [String]).self) {
            group in
            for (index, device) in devices.enumerated() {
                let share = min(perDevice, max(0, extra - index * perDevice))
                group.addTask { try await load(device: device, index: index, records: share) }
            }
            var applied = 0
            var problems: [String] = []
            for try await result in group {
                applied += result.applied
                problems += result.problems
            }
            return (applied, problems)
        }
        let loadSeconds = Elapsed.seconds(since: loadStart)
        f.add("w4.loadWall", "W4 load through the API: wall time", "s", loadSeconds, decimals: 1)
        f.add("w4.loadRate", "W4 load: records/s", "rec/s", Double(loaded.applied) / max(loadSeconds, 1e-9), decimals: 0)
        f.check(
            "W4: every loaded record applied", loaded.problems.isEmpty && loaded.applied == extra,
            loaded.problems.isEmpty ? "\(loaded.applied) of \(extra) applied" : loaded.problems.prefix(3).joined(separator: "; "))
        f.add("w4.storeMB", "W4 store on disk (database and WAL)", "MB", Double(storeBytes(server.dataDirectory)) / 1_000_000, decimals: 0)

        // The reader catches up to the end of the feed (counting, not keeping, the records).
        Progress.say("W4: the reader catches up")
        let catchUp = try await FeedPuller.pull(reader, from: readerCursor, limit: catchUpPageSize, keepRecords: false)
        f.add("w4.catchUpWall", "W4 reader catch-up pull (pages of \(catchUpPageSize))", "s", catchUp.wallSeconds, decimals: 1)
        f.add("w4.catchUpRecords", "W4 reader catch-up pull: records", catchUp.recordCount)

        // W2's incremental step on the big store.
        var generator = VisitGenerator(seed: Seeds.seed(.w2Writer, 0))
        _ = generator.nextVisits(W2Pull.extraRecords)  // W2's records, already pushed
        for _ in 0..<(W2Pull.extraRecords / W2Pull.changeSetSize) { _ = generator.nextUUID() }
        let drafts = generator.nextVisits(W2Pull.extraRecords)
        let batch = try ChangeSetBatch(
            operations: drafts.map(\.operation), size: W2Pull.changeSetSize,
            firstSequence: Int64(W2Pull.extraRecords / W2Pull.changeSetSize) + 1, ids: &generator)
        let answers = try await BatchPusher.push(batch, from: writer)
        let read = BatchPusher.verdicts(of: batch, answers: answers, device: writer.name)
        let applied = read.verdicts.filter { $0.outcome == .applied }.count
        f.check(
            "W4: the 100 new records applied", read.problems.isEmpty && applied == W2Pull.extraRecords,
            read.problems.isEmpty ? "\(applied) of \(W2Pull.extraRecords) applied" : read.problems.prefix(3).joined(separator: "; "))
        let incremental = try await FeedPuller.pull(reader, from: catchUp.cursor, limit: W2Pull.pageSize)
        f.add("w4.incHTTP", "W4 incremental pull of 100 on the big store: time in HTTP", "s", incremental.httpSeconds, decimals: 4)
        if let smallStoreIncremental {
            f.add(
                "w4.incRatio", "W4 incremental pull: big store ÷ W2's 10,000-record store", "×",
                incremental.httpSeconds / max(smallStoreIncremental, 1e-9), decimals: 2)
        }
        let got = incremental.records.map(\.id)
        f.check(
            "W4: incremental pull on the big store got exactly the 100 new records",
            got.count == drafts.count && Set(got) == Set(drafts.map(\.id)), "\(got.count) pulled")
        return f
    }

    /// One device's share: change sets of 50 made as it goes (a million records would not fit in
    /// memory as W1's pre-encoded bodies), numbered after W1's.
    private static func load(device: DeviceClient, index: Int, records: Int) async throws -> (applied: Int, problems: [String]) {
        var generator = VisitGenerator(seed: Seeds.seed(.w1Device, index))
        _ = generator.nextVisits(W1Push.recordsPerDevice)  // W1's records and change-set ids, already pushed
        let w1ChangeSets = W1Push.recordsPerDevice / W1Push.changeSetSize
        for _ in 0..<w1ChangeSets { _ = generator.nextUUID() }
        var sequence = Int64(w1ChangeSets) + 1
        var applied = 0
        var problems: [String] = []
        var remaining = records
        while remaining > 0, problems.count < 5 {
            let drafts = generator.nextVisits(min(changeSetSize, remaining))
            let batch = try ChangeSetBatch(
                operations: drafts.map(\.operation), size: changeSetSize, firstSequence: sequence, ids: &generator)
            let answers = try await BatchPusher.push(batch, from: device)
            let read = BatchPusher.verdicts(of: batch, answers: answers, device: device.name)
            problems += read.problems
            applied += read.verdicts.filter { $0.outcome == .applied }.count
            remaining -= drafts.count
            sequence += 1
        }
        return (applied, problems)
    }

    static func storeBytes(_ dataDirectory: String) -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory)) ?? []
        return files.reduce(0) { total, name in
            let path = (dataDirectory as NSString).appendingPathComponent(name)
            return total + (((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
