import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

/// A device speaking the wire protocol that numbers its own change sets, for tests that send
/// operations the CLI never would (forged bases, resolutions of others' conflicts, huge change sets).
final class WireDevice: @unchecked Sendable {
    let client: WireClient
    private(set) var sequence: Int64 = 0

    init(_ client: WireClient) { self.client = client }

    static func enrolled(
        _ world: TestWorld, _ user: String, role: String = "PA", team: String = "north", allocate: Bool = true
    ) async throws -> WireDevice {
        WireDevice(try await WireClient.enrolled(world, user: user, role: role, team: team, allocate: allocate))
    }

    /// Sends the operations as this device's next change set; throws unless the server answers 200.
    @discardableResult
    func push(_ operations: [ChangeOperation]) async throws -> ChangeSetResult {
        sequence += 1
        let answer = try await client.push(ChangeSet(deviceSequence: sequence, operations: operations))
        guard answer.status == 200 else { throw WorldError("push \(sequence) answered \(answer.status): \(answer.text)") }
        return try JSONDecoder().decode(ChangeSetResult.self, from: answer.body)
    }

    /// The one verdict of a one-operation change set.
    func send(_ operation: ChangeOperation) async throws -> OperationVerdict {
        try await push([operation]).verdicts[0]
    }

    /// The record as this device may pull it, or nil when it may not.
    func record(_ id: UUID) async throws -> RecordSnapshot? {
        try await client.pullAll().last { $0.id == id }
    }

    func history(_ id: UUID) async throws -> HistoryPage {
        let answer = try await client.send("GET", "/v1/records/\(id.uuidString)/history")
        guard answer.status == 200 else { throw WorldError("history answered \(answer.status): \(answer.text)") }
        return try WireProtocol.makeDecoder().decode(HistoryPage.self, from: answer.body)
    }
}

/// Fields that let a visit be completed (and so submitted and authorised).
enum CompleteVisit {
    static let fields: [String: JSONValue] = [
        "kind": "CLA_STATUTORY", "contactMode": "FACE_TO_FACE", "locationType": "FOSTER_HOME",
        "actualStart": "2026-11-10T10:00:00Z", "actualEnd": "2026-11-10T11:00:00Z", "childSeen": false,
        "notSeenReason": "Away at a school trip.", "observations": "Home warm and tidy.", "analysis": "Placement stable.",
        "nextVisitDue": "2026-12-10",
    ]
}

extension ServerProcess {
    /// The bytes of every file in the server's data folder (database, WAL and all).
    func storeBytes() -> Int {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory)) ?? []
        return files.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: dataDirectory + "/" + name)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}
