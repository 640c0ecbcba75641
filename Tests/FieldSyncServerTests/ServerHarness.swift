import FieldSyncProtocol
import Foundation
import GRDB

@testable import FieldSyncServer

/// A server store on a temp SQLite file, driven in-process through the same writer the HTTP
/// API uses: fast enough for many merge scenarios and random histories.
final class ServerHarness: @unchecked Sendable {
    let directory: URL
    let database: ServerDatabase
    let admin: AdminService
    let writer: GroupCommitWriter
    /// A young person every device made here is allocated to (as key worker for the first, co-worker after).
    let youngPerson = UUID()
    private var sequences: [UUID: Int64] = [:]

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fieldsync-server-test-\(UUID().uuidString)")
        database = try ServerDatabase.open(dataDirectory: directory.path)
        admin = AdminService(database: database)
        writer = GroupCommitWriter(database: database)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Adds a user and enrols one device for them.
    func device(_ user: String, role: Role = .personalAdviser, team: String = "north") throws -> AuthenticatedDevice {
        if (try? admin.listUsers().contains { $0.name == user }) != true {
            try ensureTeam(team)
            _ = try admin.addUser(name: user, role: role, team: team)
        }
        let allocated = try admin.allocations(youngPerson: youngPerson.uuidString).map(\.user)
        if !allocated.contains(user) {
            _ = try admin.allocate(youngPerson: youngPerson.uuidString, user: user, role: allocated.isEmpty ? .key : .co, end: false)
        }
        let ticket = try admin.enrolDevice(user: user, deviceName: nil)
        let enrolled = try admin.redeem(code: ticket.code, deviceName: nil)
        return AuthenticatedDevice(deviceId: UUID(uuidString: enrolled.device)!, userName: user, role: role, team: team)
    }

    /// Adds the team unless it is there already (teams are made by `team add` only).
    func ensureTeam(_ team: String) throws {
        do { _ = try admin.addTeam(name: team) } catch  where error.code == "team_exists" {}
    }

    /// Sends operations as the device's next change set.
    @discardableResult
    func push(_ device: AuthenticatedDevice, _ operations: [ChangeOperation]) async throws -> ChangeSetResult {
        let sequence = (sequences[device.deviceId] ?? 0) + 1
        sequences[device.deviceId] = sequence
        return try await send(device, ChangeSet(deviceSequence: sequence, operations: operations))
    }

    func send(_ device: AuthenticatedDevice, _ changeSet: ChangeSet) async throws -> ChangeSetResult {
        try OperationCheck.check(changeSet)
        return try await writer.apply(changeSet, by: device)
    }

    func record(_ id: UUID) async throws -> RecordSnapshot? {
        try await database.pool.read { db in try ChangeSetApplier().loadRecord(id, in: db) }
    }

    func history(_ id: UUID) async throws -> HistoryPage? {
        try await HistoryReader(database: database).history(of: id)?.page
    }

    /// Every record in the device's scope after the cursor, as the device would pull it.
    func pull(_ device: AuthenticatedDevice, after cursor: FeedCursor) async throws -> PullPage {
        let page = try await FeedReader(database: database, writer: writer).page(
            for: device, after: cursor, limit: WireProtocol.maxPageSize)
        return try JSONDecoder().decode(PullPage.self, from: page)
    }
}
