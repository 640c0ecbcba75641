import FieldSyncProtocol
import Foundation

/// W3 (conflicts): devices A and B start together; each sets `childViews` of the same records (the
/// first 20 of every W1 device) to its own, entirely different text, against the version both saw
/// in W2's pull, in change sets of 50. Exactly one side per record can apply; the other must be a
/// recorded conflict holding its text. A verification pull proves no edit was lost.
enum W3Conflicts {
    static let recordsPerW1Device = 20
    static let changeSetSize = 50
    static let field = "childViews"

    /// One record both devices edit: the base they saw and the two new texts.
    struct Target: Sendable {
        let id: UUID
        let baseVersion: Int64
        let baseText: String
        let textA: String
        let textB: String
    }

    static func targets(plans: [W1Push.DevicePlan], snapshot: [UUID: RecordSnapshot]) throws -> [Target] {
        var generatorA = VisitGenerator(seed: Seeds.seed(.w3DeviceA, 0))
        var generatorB = VisitGenerator(seed: Seeds.seed(.w3DeviceB, 0))
        var targets: [Target] = []
        for plan in plans {
            for draft in plan.drafts.prefix(recordsPerW1Device) {
                guard let seen = snapshot[draft.id], let baseText = seen.fields[field]?.stringValue else {
                    throw BenchError("W3: record \(draft.id) was not in W2's pull with a \(field); cannot edit it.")
                }
                var a = generatorA.nextText()
                var b = generatorB.nextText()
                // Entirely different from the base and from each other (a tie is all but impossible).
                if a == baseText { a += " Added by A." }
                if b == baseText || b == a { b += " Added by B." }
                targets.append(Target(id: draft.id, baseVersion: seen.version, baseText: baseText, textA: a, textB: b))
            }
        }
        return targets
    }

    static func batch(_ targets: [Target], side: KeyPath<Target, String>, seed: UInt64) throws -> ChangeSetBatch {
        let operations = targets.map { target in
            ChangeOperation.update(
                target.id, base: target.baseVersion, fields: [field: .string(target[keyPath: side])],
                baseFields: [field: .string(target.baseText)])
        }
        var ids = VisitGenerator(seed: seed)
        return try ChangeSetBatch(operations: operations, size: changeSetSize, ids: &ids)
    }

    static func run(
        a: DeviceClient, b: DeviceClient, reader: DeviceClient, readerCursor: String?, plans: [W1Push.DevicePlan],
        snapshot: [UUID: RecordSnapshot], server: ServerProcess
    ) async throws -> Findings {
        let targets = try targets(plans: plans, snapshot: snapshot)
        // Same records, but B goes through them in the opposite order, so each side wins some races.
        let batchA = try batch(targets, side: \.textA, seed: Seeds.seed(.w3DeviceA, 1))
        let batchB = try batch(targets.reversed(), side: \.textB, seed: Seeds.seed(.w3DeviceB, 1))

        let barrier = StartBarrier(parties: 2)
        let before = ProcessStats.cpuSeconds(pid: server.pid)
        async let answersA = pushAfter(barrier, batchA, from: a)
        async let answersB = pushAfter(barrier, batchB, from: b)
        let (gotA, gotB) = try await (answersA, answersB)
        let end = ContinuousClock.now
        let after = ProcessStats.cpuSeconds(pid: server.pid)
        let wall = Elapsed.seconds(((await barrier.releasedAt) ?? end).duration(to: end))

        let readA = BatchPusher.verdicts(of: batchA, answers: gotA, device: a.name)
        let readB = BatchPusher.verdicts(of: batchB, answers: gotB, device: b.name)
        let all = readA.verdicts + readB.verdicts
        let commits = Set(readA.appliedAt + readB.appliedAt).count
        let count = { (outcome: Outcome) in all.filter { $0.outcome == outcome }.count }
        let latencies = (gotA + gotB).map(\.seconds)

        var f = Findings()
        f.add("w3.wall", "W3 conflicts: wall time", "s", wall)
        f.add("w3.applied", "W3 conflicts: applied", count(.applied))
        f.add("w3.conflicts", "W3 conflicts: conflicts", count(.conflict))
        f.add("w3.merged", "W3 conflicts: merged", count(.merged))
        f.add("w3.rejected", "W3 conflicts: rejected", count(.rejected))
        f.add("w3.p50", "W3 conflicts: request latency p50", "ms", Stats.percentile(latencies, 0.50) * 1000, decimals: 1)
        f.add("w3.p99", "W3 conflicts: request latency p99", "ms", Stats.percentile(latencies, 0.99) * 1000, decimals: 1)
        f.add("w3.commits", "W3 conflicts: server commit groups", commits)
        if let before, let after { f.add("w3.serverCPU", "W3 conflicts: server CPU", "s", after - before, decimals: 2) }
        let problems = readA.problems + readB.problems
        f.check(
            "W3: every change set answered", problems.isEmpty,
            problems.isEmpty ? "\(all.count) verdicts for \(2 * targets.count) operations" : problems.prefix(3).joined(separator: "; "))

        // Per record: one side applied, the other a conflict.
        var outcomes: [UUID: (a: Outcome?, b: Outcome?)] = [:]
        for verdict in readA.verdicts { outcomes[verdict.record, default: (nil, nil)].a = verdict.outcome }
        for verdict in readB.verdicts { outcomes[verdict.record, default: (nil, nil)].b = verdict.outcome }
        let split = targets.filter { target in
            guard let pair = outcomes[target.id] else { return false }
            return (pair.a == .applied && pair.b == .conflict) || (pair.a == .conflict && pair.b == .applied)
        }.count
        f.check(
            "W3: one side applied and the other a conflict, per record", split == targets.count,
            "\(split) of \(targets.count) records; applied \(count(.applied)), conflict \(count(.conflict)), merged \(count(.merged)), rejected \(count(.rejected))"
        )

        try await verify(targets, outcomes: outcomes, reader: reader, cursor: readerCursor, into: &f)
        return f
    }

    static func pushAfter(_ barrier: StartBarrier, _ batch: ChangeSetBatch, from device: DeviceClient) async throws
        -> [Answer]
    {
        await barrier.arriveAndWait()
        return try await BatchPusher.push(batch, from: device)
    }

    /// Pulls what changed since W2 and checks, record by record, that the current text is A's or
    /// B's and the other is held in full in an open conflict on `childViews`: no edit lost.
    static func verify(
        _ targets: [Target], outcomes: [UUID: (a: Outcome?, b: Outcome?)], reader: DeviceClient, cursor: String?,
        into f: inout Findings
    ) async throws {
        let pulled = try await FeedPuller.pull(reader, from: cursor, limit: 1_000)
        f.add("w3.verifyHTTP", "W3 verification pull: time in HTTP", "s", pulled.httpSeconds)
        let byId = Dictionary(pulled.records.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var lost = 0
        var neither = 0
        var missing = 0
        var disagree = 0
        var examples: [String] = []
        for target in targets {
            guard let record = byId[target.id] else {
                missing += 1
                continue
            }
            let current = record.fields[field]?.stringValue
            let held = Set(
                record.conflicts.filter { $0.field == field && $0.status == "open" }.compactMap { $0.held.stringValue })
            let loser: String
            if current == target.textA {
                loser = target.textB
                if outcomes[target.id]?.a != .applied { disagree += 1 }
            } else if current == target.textB {
                loser = target.textA
                if outcomes[target.id]?.b != .applied { disagree += 1 }
            } else {
                neither += 1
                if examples.count < 3 { examples.append("\(target.id): current childViews is neither A's nor B's") }
                continue
            }
            if !held.contains(loser) {
                lost += 1
                if examples.count < 3 { examples.append("\(target.id): the losing text is in no open conflict") }
            }
        }
        let unrelated = pulled.records.count - targets.count
        f.add("w3.lost", "W3 verification: lost updates", lost + neither + missing)
        f.check(
            "W3: no edit lost (winner current, loser held in an open conflict)", lost == 0 && neither == 0 && missing == 0,
            "\(targets.count - lost - neither - missing) of \(targets.count) intact; lost \(lost), neither text current \(neither), missing from pull \(missing)"
                + (examples.isEmpty ? "" : "; e.g. " + examples.joined(separator: "; ")))
        f.check(
            "W3: stored state agrees with the verdicts", disagree == 0, "\(disagree) records whose current text is not the applied side's")
        f.check(
            "W3: only the edited records changed", unrelated == 0,
            "\(pulled.records.count) records changed since W2 for \(targets.count) edited")
    }
}
