import FieldSyncProtocol
import Foundation
import GRDB
import Testing

@testable import FieldSyncServer

@Suite("Side writes: reads' small writes go through the group commit")
struct SideWriteTests {
    static func count(_ harness: ServerHarness, action: AuditAction) async throws -> Int {
        try await harness.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log WHERE action = ?", arguments: [action.rawValue]) ?? 0
        }
    }

    static func event(_ device: AuthenticatedDevice, _ action: AuditAction) -> SideWrite {
        .audit(
            AuditLog.Event(actor: device.userName, role: device.roleName, device: device.deviceId.uuidString.lowercased(), action: action))
    }

    @Test("A committed side write is durable when commit returns; an enqueued one once the writer is flushed")
    func commitAndEnqueue() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        _ = try await harness.writer.commit([Self.event(alice, .backup)])
        #expect(try await Self.count(harness, action: .backup) == 1)
        for _ in 0..<20 { await harness.writer.enqueue([Self.event(alice, .bankHolidaysImported)]) }
        await harness.writer.flush()
        #expect(try await Self.count(harness, action: .bankHolidaysImported) == 20)
        let verified = try await harness.database.pool.read { db in try AuditLog.verify(in: db) }
        #expect(verified.broken == nil, "the chain holds across side writes")
    }

    @Test("Side writes waiting beside change sets are committed with them, and neither disturbs the other")
    func foldedIntoGroups() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        async let push = harness.push(alice, [.create(UUID(), kind: .visit, youngPerson: harness.youngPerson, fields: ["purpose": "x"])])
        async let side = harness.writer.commit([Self.event(alice, .auditAnchor)])
        let result = try await push
        _ = try await side
        #expect(result.verdicts.first?.outcome == .applied)
        #expect(try await Self.count(harness, action: .auditAnchor) == 1)
        let verified = try await harness.database.pool.read { db in try AuditLog.verify(in: db) }
        #expect(verified.broken == nil)
    }

    @Test("Scope snapshots are numbered in the writer: two at once get two generations")
    func generations() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        async let a = harness.writer.commit([.scopeSnapshot(device: alice.deviceId, scope: .none)])
        async let b = harness.writer.commit([.scopeSnapshot(device: alice.deviceId, scope: .none)])
        let generations = Set([try await a, try await b].compactMap { $0.first ?? nil })
        #expect(generations == [1, 2])
    }

    @Test("The same health report from a device again at once is not written again")
    func repeatedReports() async throws {
        let harness = try ServerHarness()
        let alice = try harness.device("alice")
        let report = DeviceReport(client: "test/1", protocolVersion: 1, unsent: 2, oldestUnsentSeconds: 30)
        let firstAt = ContinuousClock.now
        _ = try await harness.writer.commit([.deviceReport(report, device: alice.deviceId)])
        let first = try await harness.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT last_seen_at FROM devices WHERE id = ?", arguments: [alice.deviceId.uuidString])
        }
        #expect(first != nil)
        // Within the writer's 5 s window the repeat is dropped (a loaded machine may take longer).
        let repeated = try await harness.writer.commit([.deviceReport(report, device: alice.deviceId)])
        #expect(repeated.isEmpty || ContinuousClock.now - firstAt >= .seconds(5), "nothing left to write")
        var changed = report
        changed.unsent = 0
        #expect(try await harness.writer.commit([.deviceReport(changed, device: alice.deviceId)]).count == 1)
        let unsent = try await harness.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT unsent FROM devices WHERE id = ?", arguments: [alice.deviceId.uuidString])
        }
        #expect(unsent == 0)
    }
}
