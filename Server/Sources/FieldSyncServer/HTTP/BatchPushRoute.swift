import FieldSyncProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension SyncRoutes {
    /// `POST /v1/changesets/batch`: each change set goes through the writer as a single push does,
    /// one after the other, so other devices' requests interleave with a long batch and the
    /// device's order is kept. A change set refused for itself (malformed, out of order, its id
    /// reused) is answered in its entry and the rest go on; a failure of the server (5xx) ends the
    /// request, and the device sends the batch again: the change sets already applied answer as
    /// replays, never a second application.
    func pushBatch(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let data = try await RequestDecoding.body(
            of: request, maxBytes: maxBodyBytes, smaller: "send fewer change sets in a batch, or each on its own")
        let batch = try RequestDecoding.decode(ChangeSetBatch.self, from: data)
        guard (1...ChangeSetBatch.maxChangeSets).contains(batch.changeSets.count) else {
            throw APIError(
                .badRequest, .invalidValue,
                "A batch holds 1 to \(ChangeSetBatch.maxChangeSets) change sets, oldest first; this one holds \(batch.changeSets.count).")
        }
        var entries: [ChangeSetBatchResult.Entry] = []
        for changeSet in batch.changeSets {
            do {
                do { try OperationCheck.check(changeSet) } catch { throw APIError.from(error) }
                let applied = try await writer.apply(PreparedChangeSet(changeSet), by: device, report: Self.report(request))
                entries.append(.init(changeSet: changeSet.id, result: applied.result))
            } catch let error as APIError where (400..<500).contains(error.status.code) {
                entries.append(.init(changeSet: changeSet.id, status: error.status.code, error: error.body))
            }
        }
        return try Self.json(ChangeSetBatchResult(results: entries))
    }
}
