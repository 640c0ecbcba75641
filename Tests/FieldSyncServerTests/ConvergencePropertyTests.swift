import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@testable import FieldSyncServer

/// Random histories of several devices editing shared records offline, syncing in random
/// orders with duplicate sends and lost answers; then everyone syncs until quiet.
///
/// Replay one history: `FIELDSYNC_CONVERGENCE_SEED=<seed> swift test --filter Convergence`.
/// Run more: `FIELDSYNC_CONVERGENCE_RUNS=200`.
@Suite("Convergence under random histories")
struct ConvergencePropertyTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["FIELDSYNC_CONVERGENCE_SEED"].flatMap({ UInt64($0) }) { return [seed] }
        let runs = env["FIELDSYNC_CONVERGENCE_RUNS"].flatMap { Int($0) } ?? 24
        return (0..<UInt64(runs)).map { 0x5EED_0000 + $0 }
    }

    @Test("Devices converge, nothing written is lost, no change set is applied twice", arguments: seeds)
    func randomHistory(seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let server = try ServerHarness()
        let youngPerson = server.youngPerson
        let devices = try (0..<3).map { n in
            SimulatedDevice(name: ["ana", "ben", "cat"][n], device: try server.device(["ana", "ben", "cat"][n]))
        }
        var ledger: [Written] = []

        for _ in 0..<14 {
            for device in devices.shuffled(using: &rng) {
                if rng.chance(0.6) {
                    for _ in 0..<(1 + Int(rng.next() % 3)) { device.randomEdit(&rng, youngPerson: youngPerson, ledger: &ledger) }
                } else {
                    try await device.push(server, faults: true, &rng)
                    if rng.chance(0.8) { try await device.pull(server) }
                }
            }
        }
        // Everyone syncs; then each settles the conflicts it sees (two devices may pick the same
        // one: the later is refused and kept); then quiet: sync until nothing is left to send.
        for device in devices {
            try await device.push(server, faults: true, &rng)
            try await device.pull(server)
        }
        for device in devices.shuffled(using: &rng) {
            for id in device.visibleIds {
                for conflict in device.view(id)?.conflicts ?? [] where rng.chance(0.7) {
                    device.enqueue(
                        .resolve(
                            id, base: device.serverCopy[id]?.version ?? 0, conflict: conflict.id, choice: rng.chance(0.5) ? .current : .held
                        ))
                }
            }
        }
        for _ in 0..<5 {
            for device in devices {
                try await device.push(server, faults: false, &rng)
                try await device.pull(server)
            }
        }

        let everything = try await server.pull(devices[0].device, after: .start).records
        let serverRecords = Dictionary(uniqueKeysWithValues: everything.map { ($0.id, $0) })
        // (a) Every device's view equals the server's, record for record.
        for device in devices {
            #expect(device.outbox.isEmpty, "seed \(seed): \(device.name) still has unsent change sets")
            #expect(Set(device.serverCopy.keys) == Set(serverRecords.keys), "seed \(seed): \(device.name) misses records")
            for (id, record) in serverRecords {
                #expect(device.view(id) == record, "seed \(seed): \(device.name)'s view of \(id) differs from the server's")
            }
        }
        // (c) No change set applied twice: each (change set, record) has at most one version.
        var applied: [String: Int] = [:]
        var evidence: [UUID: [JSONValue]] = [:]
        var conflicts: [UUID: [Conflict]] = [:]
        for id in serverRecords.keys {
            let history = try #require(try await server.history(id))
            for version in history.versions {
                applied["\(version.by.changeSet)/\(id)", default: 0] += 1
                if let fields = version.changes.fields { evidence[id, default: []].append(.object(fields)) }
            }
            for rejection in history.rejections {
                if let fields = rejection.operation.fields { evidence[id, default: []].append(.object(fields)) }
            }
            conflicts[id] = history.conflicts
            for conflict in history.conflicts {
                evidence[id, default: []] += [conflict.held, conflict.current].map { .object([conflict.field: $0]) }
                if case .object(let held) = conflict.held, conflict.field == "(record)" { evidence[id, default: []].append(.object(held)) }
            }
        }
        if ProcessInfo.processInfo.environment["FIELDSYNC_CONVERGENCE_STATS"] != nil {
            let all = conflicts.values.flatMap { $0 }
            print(
                "seed \(seed): records \(serverRecords.count), versions \(applied.count), conflicts \(all.count) (resolved \(all.filter { $0.status == "resolved" }.count)), deleted \(serverRecords.values.filter(\.deleted).count), written \(ledger.count), states \(Set(serverRecords.values.map(\.state)).sorted())"
            )
        }
        for (key, count) in applied {
            #expect(count == 1, "seed \(seed): change set/record \(key) applied \(count) times")
        }
        // (b) Every record written reached the server (these devices' creates are never refused),
        // and every value written is in the record's history, a conflict or a rejected change.
        for record in Set(ledger.map(\.record)) {
            #expect(serverRecords[record] != nil, "seed \(seed): record \(record) was written but never reached the server")
        }
        for written in ledger where serverRecords[written.record] != nil {
            #expect(
                Self.found(written, in: evidence[written.record] ?? [], conflicts: conflicts[written.record] ?? []),
                "seed \(seed): lost \(written)")
        }
    }

    static func found(_ written: Written, in evidence: [JSONValue], conflicts: [Conflict]) -> Bool {
        switch written {
        case .scalar(_, let field, let value):
            return evidence.contains { anyObject($0) { $0[field] == value } }
        case .line(_, let field, let line):
            return evidence.contains { anyObject($0) { ($0[field]?.stringValue?.components(separatedBy: "\n") ?? []).contains(line) } }
        case .item(_, let field, let id):
            return evidence.contains { anyObject($0) { $0["id"]?.stringValue?.lowercased() == id } }
                || conflicts.contains { $0.field.hasPrefix("\(field)[\(id)") }
        case .member(_, let field, let id, let member, let value):
            return evidence.contains { anyObject($0) { $0["id"]?.stringValue?.lowercased() == id && $0[member] == value } }
                || conflicts.contains { $0.field == "\(field)[\(id)].\(member)" && ($0.held == value || $0.current == value) }
        }
    }

    /// True when any object inside `value` (at any depth) satisfies `predicate`.
    static func anyObject(_ value: JSONValue, _ predicate: ([String: JSONValue]) -> Bool) -> Bool {
        switch value {
        case .object(let members): predicate(members) || members.values.contains { anyObject($0, predicate) }
        case .array(let items): items.contains { anyObject($0, predicate) }
        default: false
        }
    }
}
