import FieldSyncClient
import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Random histories of three real `FieldSyncDevice`s editing shared visit records offline and
/// syncing in random orders with a real server, one of them through a proxy that cuts some
/// answers part-way (so change sets are sent again). Then everyone syncs, settles the conflicts
/// it sees, and syncs until quiet: every device holds the same records as every other, nothing
/// unsent is left, and no change set is applied twice.
///
/// Replay one history: `FIELDSYNC_CONVERGENCE_SEED=<seed> swift test --filter DeviceConvergence`;
/// more of them: `FIELDSYNC_CONVERGENCE_RUNS=50`.
@Suite("Convergence of real devices over HTTP")
struct DeviceConvergenceTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let seed = env["FIELDSYNC_CONVERGENCE_SEED"].flatMap({ UInt64($0) }) { return [seed] }
        let runs = env["FIELDSYNC_CONVERGENCE_RUNS"].flatMap { Int($0) } ?? 6
        return (0..<UInt64(runs)).map { 0xC11E_0000 + $0 }
    }

    static let words = ["settled", "school", "money", "friends", "sleep", "food", "college", "worries", "plans"]

    /// One random edit of a record the device holds, or a new record.
    static func randomEdit(_ device: FieldSyncDevice, youngPerson: UUID, _ rng: inout SeededRandom) throws {
        let held = try device.records(kind: .visit)
        guard !held.isEmpty, rng.chance(0.8) else {
            _ = try device.create(kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string("Visit \(rng.next() % 1000)")])
            return
        }
        let record = held[Int(rng.next() % UInt64(held.count))].snapshot
        let word = words[Int(rng.next() % UInt64(words.count))]
        switch rng.next() % 3 {
        case 0:
            _ = try device.update(record: record.id, fields: ["purpose": .string("About \(word)")])
        case 1:
            // One line of three rewritten: devices touching different lines merge.
            var lines = (record.fields["childViews"]?.stringValue ?? "a\nb\nc").components(separatedBy: "\n")
            lines[Int(rng.next() % UInt64(lines.count))] = word
            _ = try device.update(record: record.id, fields: ["childViews": .string(lines.joined(separator: "\n"))])
        default:
            _ = try device.update(record: record.id, fields: ["bedroomSeen": .bool(rng.chance(0.5))])
        }
    }

    /// What differs between two copies of a record, for the failure message.
    static func difference(_ a: RecordSnapshot?, _ b: RecordSnapshot?) -> String {
        guard let a, let b else { return a == nil ? "missing on the first" : "missing on the second" }
        var parts: [String] = []
        if a.version != b.version { parts.append("version \(a.version) vs \(b.version)") }
        if a.state != b.state { parts.append("state \(a.state) vs \(b.state)") }
        for key in Set(a.fields.keys).union(b.fields.keys).sorted() where a.fields[key] != b.fields[key] {
            parts.append("\(key): \(String(describing: a.fields[key])) vs \(String(describing: b.fields[key]))")
        }
        if a.conflicts != b.conflicts { parts.append("conflicts \(a.conflicts.count) vs \(b.conflicts.count)") }
        if a.fieldVersions != b.fieldVersions { parts.append("fieldVersions differ") }
        if a.updatedAt != b.updatedAt || a.updatedBy != b.updatedBy {
            parts.append("last changed \(a.updatedBy) \(a.updatedAt) vs \(b.updatedBy) \(b.updatedAt)")
        }
        if a.stateVersion != b.stateVersion || a.deleted != b.deleted { parts.append("state version or deletion differ") }
        return parts.isEmpty ? "other members differ" : parts.joined(separator: "; ")
    }

    @Test("Three devices converge; nothing unsent is left; no change set is applied twice", arguments: seeds)
    func randomHistory(seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let world = try ClientWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let devices = [
            try await world.device("ana"), try await world.device("ben"), try await world.device("cat", server: proxy.url),
        ]
        for _ in 0..<10 {
            for index in devices.indices.shuffled(using: &rng) {
                if rng.chance(0.6) {
                    try Self.randomEdit(devices[index], youngPerson: world.youngPerson, &rng)
                } else {
                    proxy.fault = rng.chance(0.3) ? .cutAnswer(after: Int(rng.next() % 300)) : .none
                    _ = try await devices[index].sync()
                }
            }
        }
        proxy.fault = .none
        for device in devices { _ = try await device.sync() }
        for device in devices {
            for conflict in try device.conflicts() where rng.chance(0.7) {
                // Another device may have settled it first: the server then refuses this one and keeps it.
                _ = try device.resolve(conflict: conflict.id, choice: rng.chance(0.5) ? .current : .held)
            }
        }
        for _ in 0..<3 {
            for device in devices { _ = try await device.sync() }
        }

        var views: [[UUID: RecordSnapshot]] = []
        for device in devices {
            #expect(try device.status().unsent == 0, "seed \(seed): unsent left")
            views.append(Dictionary(uniqueKeysWithValues: try device.records(kind: .visit).map { ($0.snapshot.id, $0.snapshot) }))
        }
        for other in 1..<views.count {
            for id in Set(views[0].keys).union(views[other].keys) where views[0][id] != views[other][id] {
                Issue.record("seed \(seed): device 0 and \(other) differ on \(id): \(Self.difference(views[0][id], views[other][id]))")
            }
        }
        for id in views[0].keys {
            let versions = try await devices[0].history(of: id).versions
            let applied = versions.map { "\($0.by.changeSet)" }
            #expect(Set(applied).count == applied.count, "seed \(seed): a change set applied twice to \(id)")
        }
    }
}
