import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes

/// Applies one change set inside an open write transaction: checks it is new and in the
/// device's order, applies each operation through ``RecordMutator``, and stores records,
/// history, conflicts, rejections and the answer (so a repeat gets the same answer, 2.2).
///
/// Runs inside a savepoint (see ``GroupCommitWriter``): if storage fails part-way, none of the
/// change set stays (2.1).
struct ChangeSetApplier {
    let encoder = WireProtocol.makeEncoder()
    let decoder = WireProtocol.makeDecoder()

    func apply(
        _ changeSet: ChangeSet, by device: AuthenticatedDevice, receivedAt: String, report: DeviceReport? = nil,
        auditHead: AuditLog.Head? = nil, in db: Database
    ) throws -> ChangeSetResult {
        if let stored = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT device_id, result FROM change_sets WHERE id = ?"), arguments: [changeSet.id.uuidString])
        {
            guard (stored["device_id"] as String) == device.deviceId.uuidString else {
                throw APIError(
                    .conflict, .changeSetIdReused,
                    "Another device already sent a change set with id \(changeSet.id); make a new id for each change set.")
            }
            var result = try decoder.decode(ChangeSetResult.self, from: stored["result"] as Data)
            result.replayed = true
            return result
        }
        let lastSequence = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT last_sequence FROM devices WHERE id = ?"), arguments: [device.deviceId.uuidString]) ?? 0
        if changeSet.deviceSequence <= lastSequence {
            throw APIError(
                .conflict, .outOfOrder,
                "This device already sent change set number \(lastSequence) under another id, so number \(changeSet.deviceSequence) is out of order. Change sets must be numbered 1, 2, 3 … in the order they were made.")
        }

        var counter = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM feed_counter WHERE id = 1")) ?? 0
        let author = Authorship(
            user: device.userName, device: device.deviceId, changeSet: changeSet.id, madeAt: changeSet.madeAt,
            receivedAt: receivedAt)
        let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
        let context = MutationContext(
            author: author, device: device, scope: scope,
            allocateVersion: {
                counter += 1
                return counter
            },
            changedByOthersSince: { record, base in
                try Int64.fetchOne(
                    db,
                    sql: "SELECT MAX(version) FROM record_history WHERE record_id = ? AND version > ? AND device_id <> ?",
                    arguments: [record.uuidString, base, device.deviceId.uuidString])
            },
            loadConflict: { id in
                guard let data = try Data.fetchOne(db, sql: "SELECT document FROM conflicts WHERE id = ?", arguments: [id.uuidString])
                else { return nil }
                return try decoder.decode(Conflict.self, from: data)
            })
        let mutator = RecordMutator(context: context)

        var verdicts: [OperationVerdict] = []
        var rejections = 0
        var cache: [UUID: RecordSnapshot?] = [:]
        for (index, op) in changeSet.operations.enumerated() {
            let current: RecordSnapshot?
            if let cached = cache[op.record] {
                current = cached
            } else {
                current = try loadRecord(op.record, in: db)
            }
            let result = try mutator.apply(op, index: index, to: current)
            verdicts.append(result.verdict)
            if let record = result.record {
                try store(record, in: db)
                cache[op.record] = record
            } else {
                cache[op.record] = current
            }
            if let entry = result.history { try store(entry, record: op.record, device: device, in: db) }
            for conflict in result.openedConflicts { try store(conflict, openedAt: result.verdict.version ?? 0, in: db) }
            if let resolved = result.resolvedConflict {
                try db.cachedStatement(sql: "UPDATE conflicts SET status = 'resolved', resolved_version = ?, document = ? WHERE id = ?").execute(
                    arguments: [result.verdict.version, try encoder.encode(resolved), resolved.id.uuidString])
            }
            try AuditLog.append(
                AuditLog.Event(
                    actor: device.userName, role: device.role, device: device.deviceId.uuidString.lowercased(),
                    action: Self.auditAction(op.op), record: op.record.uuidString.lowercased(),
                    youngPerson: (result.record ?? current)?.youngPerson.uuidString.lowercased() ?? op.youngPerson?.uuidString.lowercased(),
                    detail: "outcome=\(result.verdict.outcome.rawValue)\(result.verdict.code.map { " code=\($0)" } ?? "") fields=\((op.fields ?? [:]).keys.sorted().joined(separator: ","))\(op.to.map { " to=\($0)" } ?? "") changeSet=\(changeSet.id.uuidString.lowercased())"),
                at: receivedAt, head: auditHead, in: db)
            if let rejection = result.rejection {
                rejections += 1
                try db.cachedStatement(sql: """
                        INSERT INTO rejections(change_set, op_index, record_id, user_name, device_id, code, message, operation, received_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(
                    arguments: [
                        changeSet.id.uuidString, index, op.record.uuidString, device.userName, device.deviceId.uuidString,
                        rejection.code, rejection.message, try encoder.encode(op), receivedAt,
                    ])
            }
        }
        try db.execute(sql: "UPDATE feed_counter SET value = ? WHERE id = 1", arguments: [counter])
        let result = ChangeSetResult(
            changeSet: changeSet.id, deviceSequence: changeSet.deviceSequence, verdicts: verdicts, appliedAt: receivedAt,
            replayed: false)
        try db.cachedStatement(sql: "INSERT INTO change_sets(id, device_id, device_sequence, received_at, result) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [
                changeSet.id.uuidString, device.deviceId.uuidString, changeSet.deviceSequence, receivedAt,
                try encoder.encode(result),
            ])
        try db.cachedStatement(sql: "UPDATE devices SET last_sequence = ?, last_seen_at = ?, rejections = rejections + ? WHERE id = ?").execute(
            arguments: [changeSet.deviceSequence, receivedAt, rejections, device.deviceId.uuidString])
        if let report {
            try db.cachedStatement(sql: DeviceReport.sql).execute(
                arguments: StatementArguments(report.arguments(at: receivedAt, device: device.deviceId.uuidString)))
        }
        return result
    }

    static func auditAction(_ type: OperationType) -> String {
        switch type {
        case .create: "CREATE"
        case .update: "UPDATE"
        case .transition: "STATUS_CHANGE"
        case .delete: "DELETE"
        case .resolve: "RESOLVE_CONFLICT"
        }
    }

    func loadRecord(_ id: UUID, in db: Database) throws -> RecordSnapshot? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT document FROM records WHERE id = ?"), arguments: [id.uuidString]) else {
            return nil
        }
        return try decoder.decode(RecordSnapshot.self, from: data)
    }

    func store(_ record: RecordSnapshot, in db: Database) throws {
        try db.cachedStatement(sql: """
                INSERT INTO records(id, kind, young_person, state, version, deleted, document) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state, version = excluded.version,
                  deleted = excluded.deleted, document = excluded.document
                """).execute(
            arguments: [
                record.id.uuidString, record.kind.rawValue, record.youngPerson.uuidString, record.state, record.version,
                record.deleted, try DirectJSON.encode(record),
            ])
    }

    func store(_ entry: HistoryEntry, record: UUID, device: AuthenticatedDevice, in db: Database) throws {
        try db.cachedStatement(sql: """
                INSERT INTO record_history(record_id, version, change_set, user_name, device_id, made_at, received_at, operation, outcome, changes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [
                record.uuidString, entry.version, entry.by.changeSet.uuidString, entry.by.user, device.deviceId.uuidString,
                entry.by.madeAt, entry.by.receivedAt, entry.operation.rawValue, entry.outcome.rawValue,
                try DirectJSON.encode(entry.changes),
            ])
    }

    func store(_ conflict: Conflict, openedAt version: Int64, in db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO conflicts(id, record_id, field, status, opened_version, document) VALUES (?, ?, ?, 'open', ?, ?)").execute(
            arguments: [conflict.id.uuidString, conflict.record.uuidString, conflict.field, version, try encoder.encode(conflict)])
    }
}
