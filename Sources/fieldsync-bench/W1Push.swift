import FieldSyncProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// W1 (push): every device starts at once and sends its 200 new records in 4 change sets of 50,
/// back to back. Then a pull of the whole feed checks each record is stored exactly once, as sent.
enum W1Push {
    static let recordsPerDevice = 200
    static let changeSetSize = 50

    struct DevicePlan: Sendable {
        let drafts: [VisitDraft]
        let batch: ChangeSetBatch
    }

    struct Outcome: Sendable {
        var findings = Findings()
        /// Every device's records, device by device, in the order they were made.
        let plans: [DevicePlan]
    }

    /// The records device `index` creates: the same on every run.
    static func plan(device index: Int) throws -> DevicePlan {
        var generator = VisitGenerator(seed: Seeds.seed(.w1Device, index))
        let drafts = generator.nextVisits(recordsPerDevice)
        let batch = try ChangeSetBatch(operations: drafts.map(\.operation), size: changeSetSize, ids: &generator)
        return DevicePlan(drafts: drafts, batch: batch)
    }

    static func run(devices: [DeviceClient], server: ServerProcess) async throws -> Outcome {
        let plans = try devices.indices.map { try plan(device: $0) }
        let barrier = StartBarrier(parties: devices.count)
        let before = ProcessStats.read(pid: server.pid)
        let benchBefore = ProcessStats.cpuSeconds(pid: getpid())
        let machineBefore = CPUAccounting.machineBusySeconds()

        let answers = try await withThrowingTaskGroup(of: (Int, [Answer]).self) { group in
            for (index, device) in devices.enumerated() {
                let batch = plans[index].batch
                group.addTask {
                    await barrier.arriveAndWait()
                    return (index, try await BatchPusher.push(batch, from: device))
                }
            }
            var answers = [[Answer]](repeating: [], count: devices.count)
            for try await (index, deviceAnswers) in group { answers[index] = deviceAnswers }
            return answers
        }
        let end = ContinuousClock.now
        let after = ProcessStats.read(pid: server.pid)
        let benchAfter = ProcessStats.cpuSeconds(pid: getpid())
        let machineAfter = CPUAccounting.machineBusySeconds()
        let started = await barrier.releasedAt ?? end
        let wall = Elapsed.seconds(started.duration(to: end))

        var outcome = Outcome(plans: plans)
        let records = devices.count * recordsPerDevice
        let latencies = answers.flatMap { $0.map(\.seconds) }
        let requestBytes = plans.reduce(0) { $0 + $1.batch.totalBytes }
        var f = Findings()
        f.add("w1.wall", "W1 push: wall time", "s", wall)
        f.add("w1.rate", "W1 push: records/s", "rec/s", Double(records) / max(wall, 1e-9), decimals: 0)
        f.add("w1.p50", "W1 push: request latency p50", "ms", Stats.percentile(latencies, 0.50) * 1000, decimals: 1)
        f.add("w1.p99", "W1 push: request latency p99", "ms", Stats.percentile(latencies, 0.99) * 1000, decimals: 1)
        f.add("w1.max", "W1 push: request latency max", "ms", (latencies.max() ?? 0) * 1000, decimals: 1)
        if let after {
            f.add("w1.serverRSS", "W1 push: server peak RSS (VmHWM)", "MiB", Double(after.peakResidentBytes) / 1_048_576, decimals: 1)
            f.add("w1.serverCPU", "W1 push: server CPU (user+sys)", "s", after.cpuSeconds - (before?.cpuSeconds ?? 0), decimals: 2)
        }
        if let benchBefore, let benchAfter {
            f.add("w1.clientCPU", "W1 push: bench client CPU (same 2 cores)", "s", benchAfter - benchBefore, decimals: 2)
            if let machineBefore, let machineAfter, let before, let after {
                let others = (machineAfter - machineBefore) - (benchAfter - benchBefore) - (after.cpuSeconds - before.cpuSeconds)
                f.add("w1.othersCPU", "W1 push: CPU used by other processes", "s", max(0, others), decimals: 1)
            }
        }
        f.add("w1.requestMB", "W1 push: request bodies", "MB", Double(requestBytes) / 1_000_000, decimals: 2)
        f.add("w1.recordBytes", "W1 push: mean create operation JSON", "bytes", Double(requestBytes) / Double(max(records, 1)), decimals: 0)

        // Every verdict must be "applied".
        var problems: [String] = []
        var notApplied = 0
        var commits: Set<String> = []
        for (index, plan) in plans.enumerated() {
            let read = BatchPusher.verdicts(of: plan.batch, answers: answers[index], device: devices[index].name)
            problems += read.problems
            commits.formUnion(read.appliedAt)
            notApplied += read.verdicts.filter { $0.outcome != .applied }.count
            notApplied += plan.drafts.count - read.verdicts.count
            if read.verdicts.map(\.record) != plan.drafts.map(\.id) {
                problems.append("\(devices[index].name): the verdicts do not name the records in the order sent")
            }
        }
        var digest: UInt64 = 0xCBF2_9CE4_8422_2325
        for plan in plans { plan.batch.digest(into: &digest) }
        f.note(
            "W1: digest of all request bodies without madeAt: \(String(digest, radix: 16)) (one value for all runs means byte-identical bodies)"
        )
        f.add("w1.commits", "W1 push: server commit groups (distinct appliedAt)", commits.count)
        f.check(
            "W1: every verdict applied", problems.isEmpty && notApplied == 0,
            problems.isEmpty ? "\(records - notApplied) of \(records) applied" : problems.prefix(5).joined(separator: "; "))
        outcome.findings = f
        return outcome
    }

    /// Pulls the whole feed and checks it holds each W1 record exactly once, with the fields sent.
    static func verify(_ outcome: inout Outcome, puller: DeviceClient) async throws {
        let pulled = try await FeedPuller.pull(puller, from: nil, limit: 1_000)
        var expected: [UUID: VisitDraft] = [:]
        for plan in outcome.plans { for draft in plan.drafts { expected[draft.id] = draft } }
        var seen: [UUID: Int] = [:]
        var different = 0
        for record in pulled.records {
            seen[record.id, default: 0] += 1
            if let draft = expected[record.id], record.fields != draft.fields || record.youngPerson != draft.youngPerson {
                different += 1
            }
        }
        let duplicated = seen.values.filter { $0 > 1 }.count
        let missing = expected.keys.filter { seen[$0] == nil }.count
        let unexpected = seen.keys.filter { expected[$0] == nil }.count
        outcome.findings.check(
            "W1: all records stored exactly once", duplicated == 0 && missing == 0 && unexpected == 0,
            "\(pulled.records.count) pulled for \(expected.count) sent; missing \(missing), duplicated \(duplicated), unexpected \(unexpected)"
        )
        outcome.findings.check(
            "W1: stored fields equal the fields sent", different == 0, "\(different) records differ from what was sent")
    }
}
