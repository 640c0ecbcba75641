import FieldSyncProtocol
import Foundation
import GRDB

/// Sending the outbox: oldest first, in batches (`POST /v1/changesets/batch`) when more than one
/// is waiting, one by one (`POST /v1/changesets`) otherwise, or when the server does not take
/// batches; each answer's verdicts are stored and its change sets taken out of the outbox in one
/// transaction, so a crash between two answers resends at most what was not settled, and the
/// server answers a resent change set as a replay (contract 2.2).
extension FieldSyncDevice {
    /// A change set waiting in the outbox, opened.
    struct Outgoing {
        let sequence: Int64
        let body: Data
        let madeAt: String
        let changeSet: ChangeSet
    }

    /// The most bytes of change sets one batch carries (well inside a server's default 4 MiB body limit).
    static let maxBatchBytes = 1 << 20

    func push(_ connection: ServerConnection, _ report: inout SyncReport, _ progress: (@Sendable (SyncProgress) -> Void)?)
        async throws(ClientError)
    {
        let total = try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
        var batches = true
        // Bounded: each round settles at least the oldest entry, or stops.
        for _ in 0..<total {
            let (waiting, unsent) = try oldestUnsent(limit: batches ? ChangeSetBatch.maxChangeSets : 1)
            guard let first = waiting.first else { return }
            // The oldest entry is the oldest unsent: its time is the health report's too.
            let headers = Self.healthHeaders(unsent: unsent, oldest: first.madeAt)
            if waiting.count > 1 {
                switch try await sendBatch(waiting, connection, headers: headers, &report) {
                case .settled:
                    progress?(SyncProgress(phase: "sent", done: report.sent, total: total))
                    continue
                case .notTaken:
                    batches = false  // an older server, or a batch refused as a whole: one by one
                case .unreachable:
                    return
                }
            }
            guard try await sendOne(first, connection, headers: headers, &report) else { return }
            progress?(SyncProgress(phase: "sent", done: report.sent, total: total))
        }
    }

    /// Up to `limit` of the oldest entries, within ``maxBatchBytes`` (at least one), and how many wait in all.
    func oldestUnsent(limit: Int) throws(ClientError) -> (entries: [Outgoing], unsent: Int) {
        let (rows, unsent): ([Row], Int) = try store.read { db in
            (
                try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT sequence, body, made_at FROM outbox ORDER BY sequence LIMIT ?"), arguments: [limit]),
                try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM outbox")) ?? 0
            )
        }
        var entries: [Outgoing] = []
        var bytes = 0
        for row in rows {
            let sequence: Int64 = row["sequence"]
            let body = try store.cipher.open(row["body"], for: .outbox(sequence))
            if !entries.isEmpty && bytes + body.count > Self.maxBatchBytes { break }
            bytes += body.count
            let changeSet: ChangeSet
            do { changeSet = try ChangeSetFastDecoder.decode(body) ?? decoder.decode(ChangeSet.self, from: body) } catch {
                throw .storage(error)
            }
            entries.append(Outgoing(sequence: sequence, body: body, madeAt: row["made_at"], changeSet: changeSet))
        }
        return (entries, max(unsent, entries.count))
    }

    enum BatchOutcome {
        case settled, notTaken, unreachable
    }

    /// Sends `waiting` as one batch. The change sets go as they are stored (no re-encoding).
    func sendBatch(_ waiting: [Outgoing], _ connection: ServerConnection, headers: [String: String], _ report: inout SyncReport)
        async throws(ClientError) -> BatchOutcome
    {
        var body = Data(#"{"changeSets":["#.utf8)
        for (index, entry) in waiting.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(entry.body)
        }
        body.append(contentsOf: Array("]}".utf8))
        let answer = try await connection.send(.post, "v1/changesets/batch", body: body, headers: headers)
        switch answer.status {
        case 200:
            let batch: ChangeSetBatchResult
            do { batch = try decoder.decode(ChangeSetBatchResult.self, from: answer.body) } catch {
                throw ClientError("bad_answer", "The server's answer to a batch of change sets could not be read: \(error)")
            }
            guard batch.results.map(\.changeSet) == waiting.map(\.changeSet.id) else {
                throw ClientError("bad_answer", "The server's answer to a batch does not name the change sets sent, in order.")
            }
            report.sent += waiting.count
            try settle(
                zip(waiting, batch.results).map { entry, result in
                    (entry, result.result?.verdicts ?? Self.refused(entry.changeSet, status: result.status ?? 400, detail: result.error))
                }, report: &report)
            return .settled
        default:
            switch try Self.notTaken(answer, &report) {
            case .refusedAsSent: return .notTaken
            case .unreachable: return .unreachable
            }
        }
    }

    /// Why a push answered other than 200 was not taken.
    enum NotTaken {
        /// Refused for what was sent (its content, its size): the change sets are settled as refused, or sent one by one.
        case refusedAsSent
        /// The server cannot take it now (5xx): everything is kept, and the report says so.
        case unreachable
    }

    /// Sorts a push's answer other than 200; throws when the device itself is refused (its
    /// token, its protocol version), which no resend would change.
    static func notTaken(_ answer: TransportAnswer, _ report: inout SyncReport) throws(ClientError) -> NotTaken {
        switch answer.status {
        case 401, 403:
            throw refusal(answer)
        case 400 where ServerConnection.errorBody(answer.body)?.code == ErrorCode.unsupportedProtocolVersion.rawValue:
            throw refusal(answer)
        case 400..<500:
            return .refusedAsSent
        default:
            report.reachable = false
            report.message = "The server answered \(answer.status); unsent changes are kept and will be sent on the next sync."
            return .unreachable
        }
    }

    /// Sends one change set; false when the server could not take it now (everything is kept).
    func sendOne(_ entry: Outgoing, _ connection: ServerConnection, headers: [String: String], _ report: inout SyncReport)
        async throws(ClientError) -> Bool
    {
        let answer = try await connection.send(.post, "v1/changesets", body: entry.body, headers: headers)
        report.sent += 1
        switch answer.status {
        case 200:
            let result: ChangeSetResult
            do { result = try decoder.decode(ChangeSetResult.self, from: answer.body) } catch {
                throw ClientError("bad_answer", "The server's answer to a change set could not be read: \(error)")
            }
            try settle([(entry, result.verdicts)], report: &report)
        default:
            guard try Self.notTaken(answer, &report) == .refusedAsSent else { return false }
            // Refused for its content: keep it as a refusal and go on, so the queue never jams (2.4).
            try settle(
                [(entry, Self.refused(entry.changeSet, status: answer.status, detail: ServerConnection.errorBody(answer.body)))],
                report: &report)
        }
        return true
    }

    /// The verdicts of a change set the server refused as a whole: each operation refused with its reason.
    static func refused(_ changeSet: ChangeSet, status: Int, detail: ErrorBody.Detail?) -> [OperationVerdict] {
        changeSet.operations.enumerated().map { index, op in
            OperationVerdict(
                index: index, record: op.record, outcome: .rejected, code: detail?.code ?? "refused",
                message: detail?.message ?? "The server refused this change set (\(status)).")
        }
    }

    /// Stores the verdicts of answered change sets and takes them out of the outbox, in one transaction.
    func settle(_ answered: [(entry: Outgoing, verdicts: [OperationVerdict])], report: inout SyncReport) throws(ClientError) {
        let now = WireTime.now()
        let stored: [StoredVerdict] = try store.write { db in
            var stored: [StoredVerdict] = []
            for (entry, verdicts) in answered {
                stored += try record(entry.changeSet, sequence: entry.sequence, verdicts: verdicts, at: now, in: db)
            }
            return stored
        }
        for verdict in stored {
            switch verdict.outcome {
            case .applied: report.applied += 1
            case .merged: report.merged += 1
            case .conflict: report.conflicted += 1
            case .rejected:
                report.refused += 1
                report.refusals.append(verdict)
            }
        }
    }

    /// One answered change set: its verdicts stored (sealed), it leaves the outbox, and the views
    /// of its records are made right.
    private func record(_ changeSet: ChangeSet, sequence: Int64, verdicts: [OperationVerdict], at now: String, in db: Database) throws
        -> [StoredVerdict]
    {
        var stored: [StoredVerdict] = []
        for verdict in verdicts {
            let op = changeSet.operations.indices.contains(verdict.index) ? changeSet.operations[verdict.index] : changeSet.operations[0]
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO verdicts(change_set, op_index, record, outcome, code, message, version, received_at, operation)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    changeSet.id.uuidString, verdict.index, verdict.record.uuidString, verdict.outcome.rawValue, verdict.code,
                    try verdict.message.map {
                        try store.cipher.seal(Data($0.utf8), for: .verdictMessage(changeSet: changeSet.id.uuidString, index: verdict.index))
                    }, verdict.version, now,
                    try seal(op, for: .verdict(changeSet: changeSet.id.uuidString, index: verdict.index)),
                ])
            stored.append(
                StoredVerdict(
                    changeSet: changeSet.id, index: verdict.index, record: verdict.record, outcome: verdict.outcome, code: verdict.code,
                    message: verdict.message, version: verdict.version, receivedAt: now, operation: op))
        }
        try db.cachedStatement(sql: "DELETE FROM outbox WHERE sequence = ?").execute(arguments: [sequence])
        try db.cachedStatement(sql: "DELETE FROM outbox_records WHERE sequence = ?").execute(arguments: [sequence])
        for verdict in verdicts {
            if verdict.outcome == .rejected {
                // A refused edit never reaches the server's copy: show the record without it again.
                try rebuildLocal(verdict.record, in: db)
            } else if let version = verdict.version, try serverVersion(verdict.record, in: db) == version {
                // Taken without a new version (it changed nothing the server held): the copy held
                // here is the server's as it stands, and no pull will bring another, so the view is
                // that copy (with what is still unsent), not the local guess at it.
                try rebuildLocal(verdict.record, in: db)
            }
        }
        return stored
    }
}
