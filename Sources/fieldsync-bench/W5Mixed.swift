import FieldSyncProtocol
import Foundation

/// W5 (mixed load): W1's push again, from 50 fresh devices of W1's advisers (200 new records each,
/// about the same young people), while 200 other devices pull incrementally from their cursors in
/// a loop, one request at a time, until the push ends. Each puller is a co-worker of one W1
/// young person, so its pulls return that young person's new records as they are committed.
///
/// Reported beside W1 alone (same run): pull p50/p99 and pulls/s during the push, and the push's
/// records/s and p99 with the pullers, as a ratio to W1's. A pull must never wait behind a push.
enum W5Mixed {
    static let pullers = 200
    static let pageSize = 1_000
    /// A puller stops after this many pulls even if the push has not ended (bounds the loop).
    static let maxPullsPerDevice = 1_000_000

    /// The young person puller `index` is co-worker for: one of W1 device `index % devices`'s caseload.
    static func youngPerson(puller index: Int, devices: Int) -> (device: Int, youngPerson: UUID) {
        let device = index % devices
        let caseload = VisitGenerator(seed: Seeds.seed(.w1Device, device)).caseload
        return (device, caseload[(index / devices) % caseload.count])
    }

    /// W1 device `index`'s next 200 records: the same generator as W1's, continued (so the same
    /// caseload, new ids), in change sets numbered from 1 for the fresh device that sends them.
    static func plan(device index: Int) throws -> W1Push.DevicePlan {
        var generator = VisitGenerator(seed: Seeds.seed(.w1Device, index))
        let w1 = generator.nextVisits(W1Push.recordsPerDevice)
        _ = try ChangeSetBatch(operations: w1.map(\.operation), size: W1Push.changeSetSize, ids: &generator)
        let drafts = generator.nextVisits(W1Push.recordsPerDevice)
        return W1Push.DevicePlan(
            drafts: drafts, batch: try ChangeSetBatch(operations: drafts.map(\.operation), size: W1Push.changeSetSize, ids: &generator))
    }

    /// Set once the push has ended; the pullers read it between pulls.
    actor Flag {
        private(set) var isSet = false
        func set() { isSet = true }
    }

    struct PullerOutcome: Sendable {
        var latencies: [Double] = []
        var received: [UUID] = []
        var cursor: String?
        var failures: [String] = []
    }

    private enum Part: Sendable {
        case push(Int, [Answer])
        case pull(Int, PullerOutcome)
    }

    static func run(
        pushers: [DeviceClient], pullers: [DeviceClient], baseline: Findings, server: ServerProcess, pauseMilliseconds: Int
    ) async throws -> Findings {
        let plans = try pushers.indices.map { try plan(device: $0) }
        // Each puller starts from its own cursor at the feed's current end.
        var cursors: [String?] = []
        for puller in pullers { cursors.append(try await FeedPuller.pull(puller, from: nil, limit: pageSize, keepRecords: false).cursor) }

        let barrier = StartBarrier(parties: pushers.count + pullers.count)
        let done = Flag()
        let before = ProcessStats.read(pid: server.pid)
        let (pushAnswers, pulls, pushEnd) = try await withThrowingTaskGroup(of: Part.self) { group in
            for (index, device) in pushers.enumerated() {
                let batch = plans[index].batch
                group.addTask {
                    await barrier.arriveAndWait()
                    return .push(index, try await BatchPusher.push(batch, from: device))
                }
            }
            for (index, device) in pullers.enumerated() {
                let start = cursors[index]
                group.addTask {
                    await barrier.arriveAndWait()
                    return .pull(index, await loop(device, from: start, until: done, pauseMilliseconds: pauseMilliseconds))
                }
            }
            var pushes = [[Answer]](repeating: [], count: pushers.count)
            var pulls = [PullerOutcome](repeating: PullerOutcome(), count: pullers.count)
            var pushesLeft = pushers.count
            var pushEnd = ContinuousClock.now
            for try await part in group {
                switch part {
                case .push(let index, let answers):
                    pushes[index] = answers
                    pushesLeft -= 1
                    if pushesLeft == 0 {
                        pushEnd = .now
                        await done.set()
                    }
                case .pull(let index, let outcome):
                    pulls[index] = outcome
                }
            }
            return (pushes, pulls, pushEnd)
        }
        let after = ProcessStats.read(pid: server.pid)
        let started = await barrier.releasedAt ?? pushEnd
        let wall = Elapsed.seconds(started.duration(to: pushEnd))

        var f = Findings()
        let records = plans.reduce(0) { $0 + $1.drafts.count }
        let rate = Double(records) / max(wall, 1e-9)
        let pushLatencies = pushAnswers.flatMap { $0.map(\.seconds) }
        let pullLatencies = pulls.flatMap(\.latencies)
        f.add("w5.pullP50", "W5 mixed: pull latency p50 during the push", "ms", Stats.percentile(pullLatencies, 0.50) * 1000, decimals: 1)
        f.add("w5.pullP99", "W5 mixed: pull latency p99 during the push", "ms", Stats.percentile(pullLatencies, 0.99) * 1000, decimals: 1)
        f.add("w5.pullMax", "W5 mixed: pull latency max", "ms", (pullLatencies.max() ?? 0) * 1000, decimals: 1)
        f.add("w5.pulls", "W5 mixed: pulls during the push", pullLatencies.count)
        f.add("w5.pullRate", "W5 mixed: pulls/s during the push", "req/s", Double(pullLatencies.count) / max(wall, 1e-9), decimals: 0)
        f.add("w5.rate", "W5 mixed: push records/s with \(pullers.count) pullers", "rec/s", rate, decimals: 0)
        f.add("w5.p99", "W5 mixed: push latency p99 with pullers", "ms", Stats.percentile(pushLatencies, 0.99) * 1000, decimals: 1)
        if let alone = baseline.value(of: "w1.rate") {
            f.add("w5.rateRatio", "W5 mixed: push records/s with pullers / W1 alone", "x", rate / max(alone, 1e-9), decimals: 2)
        }
        if let alone = baseline.value(of: "w1.p99") {
            f.add(
                "w5.p99Ratio", "W5 mixed: push p99 with pullers / W1 alone", "x",
                Stats.percentile(pushLatencies, 0.99) * 1000 / max(alone, 1e-9), decimals: 2)
        }
        if let before, let after {
            f.add("w5.serverCPU", "W5 mixed: server CPU (user+sys)", "s", after.cpuSeconds - before.cpuSeconds, decimals: 2)
        }
        if pauseMilliseconds > 0 { f.note("W5: each puller paused \(pauseMilliseconds) ms between its pulls.") }

        // Every push verdict applied; every new record reached each puller of its young person, once.
        var problems: [String] = []
        var notApplied = 0
        for (index, plan) in plans.enumerated() {
            let read = BatchPusher.verdicts(of: plan.batch, answers: pushAnswers[index], device: pushers[index].name)
            problems += read.problems
            notApplied += plan.drafts.count - read.verdicts.filter { $0.outcome == .applied }.count
        }
        f.check(
            "W5: every push verdict applied", problems.isEmpty && notApplied == 0,
            problems.isEmpty ? "\(records - notApplied) of \(records) applied" : problems.prefix(3).joined(separator: "; "))
        var missing = 0
        var repeated = 0
        var failures: [String] = []
        for (index, puller) in pullers.enumerated() {
            var outcome = pulls[index]
            failures += outcome.failures
            let rest = try await FeedPuller.pull(puller, from: outcome.cursor, limit: pageSize)
            outcome.received += rest.records.map(\.id)
            let (device, youngPerson) = Self.youngPerson(puller: index, devices: pushers.count)
            let expected = Set(plans[device].drafts.filter { $0.youngPerson == youngPerson }.map(\.id))
            var seen: [UUID: Int] = [:]
            for id in outcome.received where expected.contains(id) { seen[id, default: 0] += 1 }
            missing += expected.count - seen.count
            repeated += seen.values.filter { $0 > 1 }.count
        }
        f.check(
            "W5: every puller received each new record of its young person exactly once", missing == 0 && repeated == 0 && failures.isEmpty,
            failures.isEmpty ? "missing \(missing), repeated \(repeated)" : failures.prefix(3).joined(separator: "; "))
        return f
    }

    /// One puller: pulls from its cursor, one request at a time, until the push has ended.
    static func loop(_ device: DeviceClient, from start: String?, until done: Flag, pauseMilliseconds: Int) async -> PullerOutcome {
        var outcome = PullerOutcome(cursor: start)
        let decoder = WireProtocol.makeDecoder()
        for _ in 0..<maxPullsPerDevice {
            if await done.isSet { break }
            do {
                let answer = try await device.pull(after: outcome.cursor, limit: pageSize)
                guard answer.status == 200 else {
                    outcome.failures.append(
                        "\(device.name): HTTP \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
                    break
                }
                outcome.latencies.append(answer.seconds)
                let page = try PullPageFastDecoder.decode(answer.body) ?? decoder.decode(PullPage.self, from: answer.body)
                outcome.received += page.records.map(\.id)
                outcome.cursor = page.cursor
            } catch {
                outcome.failures.append("\(device.name): \(error)")
                break
            }
            if pauseMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(pauseMilliseconds)) }
        }
        return outcome
    }
}
