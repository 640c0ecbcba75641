import FieldSyncProtocol
import Foundation

/// A device's change sets, made and encoded before the timed part starts (as a device that worked
/// offline holds them ready), with ids from the device's seed so every run sends the same bytes
/// apart from `madeAt`.
struct ChangeSetBatch: Sendable {
    let changeSets: [ChangeSet]
    let bodies: [Data]

    /// Splits `operations` into change sets of `size`, numbered 1, 2, 3 … from `firstSequence`.
    init(operations: [ChangeOperation], size: Int, firstSequence: Int64 = 1, ids: inout VisitGenerator) throws {
        precondition(size > 0)
        let madeAt = WireTime.now()
        var sets: [ChangeSet] = []
        var start = 0
        while start < operations.count {
            let end = min(start + size, operations.count)
            sets.append(
                ChangeSet(
                    id: ids.nextUUID(), deviceSequence: firstSequence + Int64(sets.count), madeAt: madeAt,
                    operations: Array(operations[start..<end])))
            start = end
        }
        let encoder = WireProtocol.makeEncoder()
        changeSets = sets
        bodies = try sets.map { try encoder.encode($0) }
    }

    var totalBytes: Int { bodies.reduce(0) { $0 + $1.count } }

    /// FNV-1a over every body with its `madeAt` value left out: equal on every run when the
    /// bodies are byte-identical apart from `madeAt`.
    func digest(into hash: inout UInt64) {
        for (changeSet, body) in zip(changeSets, bodies) {
            let skip = body.range(of: Data("\"madeAt\":\"\(changeSet.madeAt)\"".utf8))
            for (offset, byte) in body.enumerated() where !(skip?.contains(offset) ?? false) {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
    }
}

/// Pushes a batch back to back and keeps every timed answer.
enum BatchPusher {
    static func push(_ batch: ChangeSetBatch, from device: DeviceClient) async throws -> [Answer] {
        var answers: [Answer] = []
        for body in batch.bodies {
            answers.append(try await device.push(body))
        }
        return answers
    }

    /// Reads the answers to a batch: the verdicts in order, a sentence for each answer that was
    /// not a 200 with one verdict per operation, and each change set's `appliedAt` (the server
    /// stamps every change set of one group commit with the same time, so distinct values count
    /// the commits).
    static func verdicts(of batch: ChangeSetBatch, answers: [Answer], device: String) -> (
        verdicts: [OperationVerdict], problems: [String], appliedAt: [String]
    ) {
        let decoder = WireProtocol.makeDecoder()
        var verdicts: [OperationVerdict] = []
        var problems: [String] = []
        var appliedAt: [String] = []
        for (changeSet, answer) in zip(batch.changeSets, answers) {
            guard answer.status == 200 else {
                problems.append(
                    "\(device) change set \(changeSet.deviceSequence): HTTP \(answer.status) \(String(decoding: answer.body.prefix(300), as: UTF8.self))"
                )
                continue
            }
            guard let result = try? decoder.decode(ChangeSetResult.self, from: answer.body) else {
                problems.append("\(device) change set \(changeSet.deviceSequence): the answer is not a ChangeSetResult")
                continue
            }
            if result.verdicts.count != changeSet.operations.count || result.changeSet != changeSet.id || result.replayed {
                problems.append(
                    "\(device) change set \(changeSet.deviceSequence): \(result.verdicts.count) verdicts for \(changeSet.operations.count) operations (replayed: \(result.replayed))"
                )
            }
            verdicts += result.verdicts
            appliedAt.append(result.appliedAt)
        }
        if answers.count != batch.bodies.count {
            problems.append("\(device): \(answers.count) answers for \(batch.bodies.count) change sets")
        }
        return (verdicts, problems, appliedAt)
    }
}
