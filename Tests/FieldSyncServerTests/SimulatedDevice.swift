import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

@testable import FieldSyncClient
@testable import FieldSyncServer

/// Something a device wrote, to be found again afterwards (contract 1.1).
enum Written: CustomStringConvertible {
    case scalar(record: UUID, field: String, value: JSONValue)
    case line(record: UUID, field: String, line: String)
    case item(record: UUID, field: String, id: String)
    case member(record: UUID, field: String, id: String, member: String, value: JSONValue)

    var record: UUID {
        switch self {
        case .scalar(let r, _, _), .line(let r, _, _), .item(let r, _, _), .member(let r, _, _, _, _): r
        }
    }

    var description: String {
        switch self {
        case .scalar(let r, let f, let v): "\(f)=\(v) on \(r)"
        case .line(let r, let f, let l): "line '\(l)' of \(f) on \(r)"
        case .item(let r, let f, let id): "item \(id) of \(f) on \(r)"
        case .member(let r, let f, let id, let m, let v): "\(f)[\(id)].\(m)=\(v) on \(r)"
        }
    }
}

/// A device following the protocol's loop (WIRE-PROTOCOL.md §11) against an in-process server:
/// edits go to an outbox with their base values; sync pushes in order and pulls pages; the view
/// is the server's copy with unsent edits laid on top by the client library's own `LocalApply`.
final class SimulatedDevice {
    let name: String
    let device: AuthenticatedDevice
    var serverCopy: [UUID: RecordSnapshot] = [:]
    var cursor = FeedCursor.start
    var outbox: [ChangeSet] = []
    var nextSequence: Int64 = 1
    var sent: Set<UUID> = []

    init(name: String, device: AuthenticatedDevice) {
        self.name = name
        self.device = device
    }

    func view(_ id: UUID) -> RecordSnapshot? {
        var record = serverCopy[id]
        for changeSet in outbox {
            for op in changeSet.operations where op.record == id {
                record = LocalApply.apply(op, to: record, author: name, at: changeSet.madeAt)
            }
        }
        return record
    }

    var visibleIds: [UUID] {
        let pendingIds = outbox.flatMap { $0.operations.map(\.record) }
        return Array(Set(serverCopy.keys).union(pendingIds)).sorted { $0.uuidString < $1.uuidString }
    }

    func enqueue(_ op: ChangeOperation) {
        outbox.append(ChangeSet(deviceSequence: nextSequence, operations: [op]))
        nextSequence += 1
    }

    /// Makes one random offline edit and notes what it wrote.
    func randomEdit(_ rng: inout SeededRandom, youngPerson: UUID, ledger: inout [Written]) {
        let candidates = visibleIds.compactMap { view($0) }.filter { !$0.deleted }
        if candidates.isEmpty || rng.chance(0.08) {
            let id = UUID()
            let scheduled = rng.chance(0.3)
            let line = "\(name) opens \(id.uuidString.prefix(6))"
            enqueue(
                .create(
                    id, kind: .visit, youngPerson: youngPerson, state: scheduled ? "SCHEDULED" : nil, fields: ["childViews": .string(line)])
            )
            ledger.append(.line(record: id, field: "childViews", line: line))
            return
        }
        let record = candidates[Int(rng.next() % UInt64(candidates.count))]
        let base = serverCopy[record.id]?.version ?? 0
        let tag = "\(name)-\(nextSequence)"
        if let conflict = record.conflicts.randomElement(using: &rng), rng.chance(0.4) {
            enqueue(.resolve(record.id, base: base, conflict: conflict.id, choice: rng.chance(0.5) ? .current : .held))
            return
        }
        switch rng.next() % 100 {
        case 0..<25:
            let (field, value): (String, JSONValue) =
                switch rng.next() % 3 {
                case 0: ("contactMode", .string(VisitSchema.contactModes[Int(rng.next() % 4)]))
                case 1: ("bedroomSeen", .bool(rng.chance(0.5)))
                default: ("nextVisitDue", .string("2027-01-\(String(format: "%02d", 1 + Int(rng.next() % 28)))"))
                }
            enqueue(.update(record.id, base: base, fields: [field: value], baseFields: [field: record.fields[field] ?? .null]))
            ledger.append(.scalar(record: record.id, field: field, value: value))
        case 25..<55:
            let field = rng.chance(0.7) ? "childViews" : "observations"
            let old = record.fields[field]?.stringValue
            var lines = old.map { $0.components(separatedBy: "\n") } ?? []
            let newLine = "\(tag) wrote this"
            if lines.isEmpty || rng.chance(0.4) {
                lines.insert(newLine, at: Int(rng.next() % UInt64(lines.count + 1)))
            } else if rng.chance(0.8) {
                lines[Int(rng.next() % UInt64(lines.count))] = newLine
            } else {
                lines.remove(at: Int(rng.next() % UInt64(lines.count)))
            }
            let value: JSONValue = lines.isEmpty ? .null : .string(lines.joined(separator: "\n"))
            enqueue(.update(record.id, base: base, fields: [field: value], baseFields: [field: old.map(JSONValue.string) ?? .null]))
            if lines.contains(newLine) { ledger.append(.line(record: record.id, field: field, line: newLine)) }
        case 55..<80:
            let old = record.fields["actions"] ?? .null
            var items = old.arrayValue ?? []
            if items.isEmpty || rng.chance(0.4) {
                let id = UUID().uuidString.lowercased()
                items.append(["id": .string(id), "description": .string("\(tag) action"), "status": "OPEN"])
                ledger.append(.item(record: record.id, field: "actions", id: id))
            } else if rng.chance(0.85) {
                let n = Int(rng.next() % UInt64(items.count))
                var item = items[n].objectValue ?? [:]
                let status: JSONValue = .string(["OPEN", "DONE", "CANCELLED"][Int(rng.next() % 3)])
                item["status"] = status
                items[n] = .object(item)
                ledger.append(
                    .member(record: record.id, field: "actions", id: item["id"]?.stringValue ?? "", member: "status", value: status))
            } else {
                items.remove(at: Int(rng.next() % UInt64(items.count)))
            }
            enqueue(.update(record.id, base: base, fields: ["actions": .array(items)], baseFields: ["actions": old]))
        case 80..<92:
            let moves = record.kind.schema.lifecycle.transitions[record.state] ?? []
            if let to = moves.randomElement(using: &rng) {
                enqueue(.transition(record.id, base: base, to: to, reason: to.hasPrefix("RETURNED") ? "\(tag) reason" : nil))
            }
        case 92..<96:
            if record.kind.schema.lifecycle.deletableStates.contains(record.state) { enqueue(.delete(record.id, base: base)) }
        default:
            if let conflict = record.conflicts.randomElement(using: &rng) {
                enqueue(.resolve(record.id, base: base, conflict: conflict.id, choice: rng.chance(0.5) ? .current : .held))
            }
        }
    }

    /// Pushes the outbox in order. With faults, a change set may be sent twice, or its answer
    /// lost (the device then stops and resends it on a later sync).
    func push(_ server: ServerHarness, faults: Bool, _ rng: inout SeededRandom) async throws {
        for _ in 0..<outbox.count {
            guard let changeSet = outbox.first else { return }
            sent.insert(changeSet.id)
            _ = try await server.send(device, changeSet)
            if faults && rng.chance(0.15) { _ = try await server.send(device, changeSet) }
            if faults && rng.chance(0.15) { return }  // the answer never arrived
            outbox.removeFirst()
        }
    }

    func pull(_ server: ServerHarness) async throws {
        for _ in 0..<1_000 {
            let page = try await server.pull(device, after: cursor)
            for record in page.records { serverCopy[record.id] = record }
            cursor = FeedCursor(token: page.cursor) ?? cursor
            if !page.more { return }
        }
    }
}
