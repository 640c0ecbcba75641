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
        _ prepared: PreparedChangeSet, by device: AuthenticatedDevice, receivedAt: String, report: DeviceReport? = nil,
        auditHead: AuditLog.Head? = nil, scopes: AccessScopeCache = AccessScopeCache(), in db: Database
    ) throws -> AppliedChangeSet {
        let changeSet = prepared.changeSet
        let changeSetKey = UUIDText.uppercase(changeSet.id)
        let deviceKey = UUIDText.uppercase(device.deviceId)
        if let stored = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT device_id, result FROM change_sets WHERE id = ?"), arguments: [changeSetKey])
        {
            guard (stored["device_id"] as String) == deviceKey else {
                throw APIError(
                    .conflict, .changeSetIdReused,
                    "Another device already sent a change set with id \(changeSet.id); make a new id for each change set.")
            }
            var result = try decoder.decode(ChangeSetResult.self, from: stored["result"] as Data)
            result.replayed = true
            return AppliedChangeSet(result: result, json: DirectJSON.encode(result))
        }
        let lastSequence =
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT last_sequence FROM devices WHERE id = ?"), arguments: [deviceKey]) ?? 0
        if changeSet.deviceSequence <= lastSequence {
            throw APIError(
                .conflict, .outOfOrder,
                "This device already sent change set number \(lastSequence) under another id, so number \(changeSet.deviceSequence) is out of order. Change sets must be numbered 1, 2, 3 … in the order they were made."
            )
        }
        if changeSet.deviceSequence - lastSequence > WireProtocol.maxSequenceGap {
            // Accepting it would refuse every later change set of this device as out of order.
            throw APIError(
                .badRequest, .sequenceOutOfRange,
                "deviceSequence \(changeSet.deviceSequence) jumps more than \(WireProtocol.maxSequenceGap) past this device's last change set (\(lastSequence)); number change sets 1, 2, 3 … in the order they were made. Nothing was stored."
            )
        }

        var counter = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM feed_counter WHERE id = 1")) ?? 0
        let author = Authorship(
            user: device.userName, device: device.deviceId, changeSet: changeSet.id, madeAt: changeSet.madeAt,
            receivedAt: receivedAt)
        let scope = try scopes.scope(for: device, in: db)
        let policy = RecordPolicy(
            actor: Actor(user: device.userName, role: device.role),
            contributed: { record, user in
                try Bool.fetchOne(db.cachedStatement(sql: Self.contributedSQL), arguments: [UUIDText.uppercase(record), user]) ?? false
            })
        let context = MutationContext(
            author: author, device: device, scope: scope, policy: policy, budget: MergeBudget(), conflictSizes: ConflictSizes(),
            allocateVersion: {
                counter += 1
                return counter
            },
            changedByOthersSince: { record, base in
                try Int64.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT MAX(version) FROM record_history WHERE record_id = ? AND version > ? AND device_id <> ?"),
                    arguments: [UUIDText.uppercase(record), base, deviceKey])
            },
            wroteBefore: { record, user in
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM record_history WHERE record_id = ? AND user_name = ?)"),
                    arguments: [UUIDText.uppercase(record), user]) ?? false
            },
            loadConflict: { id in
                guard let data = try Data.fetchOne(db, sql: "SELECT document FROM conflicts WHERE id = ?", arguments: [id.uuidString])
                else { return nil }
                return try decoder.decode(Conflict.self, from: data)
            })
        let mutator = RecordMutator(context: context)
        let auditDevice = UUIDText.lowercase(device.deviceId)
        let auditChangeSet = UUIDText.lowercase(changeSet.id)

        var verdicts: [OperationVerdict] = []
        verdicts.reserveCapacity(changeSet.operations.count)
        var rejections = 0
        var conflicts = ConflictTally()
        let recordKeys = changeSet.operations.map { UUIDText.uppercase($0.record) }
        // Every record the change set touches, read in one query; then kept current as operations apply.
        var cache = try loadRecords(changeSet.operations.map(\.record), keys: recordKeys, in: db)
        // History and audit rows go in with a few multi-row statements at the end (same transaction).
        var historyRows: [[SQLValue]] = []
        var auditRows: [[SQLValue]] = []
        let head = auditHead ?? AuditLog.Head()
        var recordsToStore: [RecordToStore] = []
        var recordSlots: [String: Int] = [:]
        for (index, op) in changeSet.operations.enumerated() {
            let recordKey = recordKeys[index]
            let current = cache[op.record] ?? nil
            let result = try mutator.apply(op, index: index, to: current)
            verdicts.append(result.verdict)
            // A create's fields were written as JSON before the writer (PreparedChangeSet); they go
            // into the document and the first history entry as they are.
            let createdFieldsJSON = op.op == .create && current == nil ? prepared.createdFieldsJSON[index] : nil
            if let record = result.record {
                // Only each record's last state in the change set is written (the table holds current state).
                let latest = RecordToStore(key: recordKey, record: record, fieldsJSON: createdFieldsJSON)
                if let slot = recordSlots[recordKey] {
                    recordsToStore[slot] = latest
                } else {
                    recordSlots[recordKey] = recordsToStore.count
                    recordsToStore.append(latest)
                }
                cache[op.record] = record
            } else {
                cache[op.record] = current
            }
            if let entry = result.history {
                historyRows.append(try historyRow(entry, recordKey: recordKey, deviceKey: deviceKey, fieldsJSON: createdFieldsJSON))
            }
            for conflict in result.openedConflicts { try store(conflict, openedAt: result.verdict.version ?? 0, in: db) }
            conflicts.opened += result.openedConflicts.count
            conflicts.superseded += result.supersededConflicts.count
            if result.resolvedConflict != nil { conflicts.resolved += 1 }
            for conflict in result.supersededConflicts {
                // Kept in the record's history with its held value; no longer open.
                try db.cachedStatement(sql: "UPDATE conflicts SET status = 'resolved', resolved_version = ?, document = ? WHERE id = ?")
                    .execute(
                        arguments: [result.verdict.version, try encoder.encode(conflict), conflict.id.uuidString])
            }
            if let resolved = result.resolvedConflict {
                try db.cachedStatement(sql: "UPDATE conflicts SET status = 'resolved', resolved_version = ?, document = ? WHERE id = ?")
                    .execute(
                        arguments: [result.verdict.version, try encoder.encode(resolved), resolved.id.uuidString])
            }
            let youngPerson = (result.record ?? current)?.youngPerson ?? op.youngPerson
            auditRows.append(
                try AuditLog.row(
                    AuditLog.Event(
                        actor: device.userName, role: device.roleName, device: auditDevice,
                        action: Self.auditAction(op.op), record: UUIDText.lowercase(op.record),
                        youngPerson: youngPerson.map(UUIDText.lowercase),
                        detail: Self.auditDetail(op, result.verdict, changeSet: auditChangeSet)),
                    at: receivedAt, head: head, in: db))
            if let rejection = result.rejection {
                rejections += 1
                try db.cachedStatement(
                    sql: """
                        INSERT INTO rejections(change_set, op_index, record_id, user_name, device_id, code, message, operation, received_at, outside_scope)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [
                        changeSetKey, index, recordKey, device.userName, deviceKey,
                        rejection.code, rejection.message, try encoder.encode(op), receivedAt, result.outsideScope,
                    ])
            }
        }
        try Self.recordUpsert.execute(try recordsToStore.map { try $0.row() }, in: db)
        try Self.historyInsert.execute(historyRows, in: db)
        try AuditLog.insert.execute(auditRows, in: db)
        try db.cachedStatement(sql: "UPDATE feed_counter SET value = ? WHERE id = 1").execute(arguments: [counter])
        let result = ChangeSetResult(
            changeSet: changeSet.id, deviceSequence: changeSet.deviceSequence, verdicts: verdicts, appliedAt: receivedAt,
            replayed: false)
        let json = DirectJSON.encode(result)
        try db.cachedStatement(sql: "INSERT INTO change_sets(id, device_id, device_sequence, received_at, result) VALUES (?, ?, ?, ?, ?)")
            .execute(
                arguments: [changeSetKey, deviceKey, changeSet.deviceSequence, receivedAt, json])
        try db.cachedStatement(sql: "UPDATE devices SET last_sequence = ?, last_seen_at = ?, rejections = rejections + ? WHERE id = ?")
            .execute(
                arguments: [changeSet.deviceSequence, receivedAt, rejections, deviceKey])
        if let report {
            try db.cachedStatement(sql: DeviceReport.sql).execute(
                arguments: StatementArguments(report.arguments(at: receivedAt, device: deviceKey)))
        }
        var feedChanges = FeedChanges(by: device.deviceId)
        for stored in recordsToStore { feedChanges.add(stored.record.kind, youngPerson: stored.record.youngPerson) }
        return AppliedChangeSet(result: result, json: json, conflicts: conflicts, feedChanges: feedChanges)
    }

    /// Whether a user wrote any of a record's content: a create, an edit or a resolution that set
    /// fields other than the oversight note and addenda (segregation of duties, domain model 1.3).
    static let contributedSQL = """
        SELECT EXISTS(
          SELECT 1 FROM record_history h
          WHERE h.record_id = ? AND h.user_name = ? AND h.operation IN ('create', 'update', 'resolve') AND h.outcome <> 'rejected'
            AND EXISTS (SELECT 1 FROM json_each(CAST(h.changes AS TEXT), '$.fields') WHERE key NOT IN ('managerNote', 'addenda')))
        """

    /// The audit entry's detail: the outcome, the fields named (never their values) and the change set.
    static func auditDetail(_ op: ChangeOperation, _ verdict: OperationVerdict, changeSet: String) -> String {
        var detail = "outcome=" + verdict.outcome.rawValue
        if let code = verdict.code { detail += " code=" + code }
        detail += " fields=" + (op.fields ?? [:]).keys.sorted().joined(separator: ",")
        if let to = op.to { detail += " to=" + to }
        detail += " changeSet=" + changeSet
        return detail
    }

    static func auditAction(_ type: OperationType) -> AuditAction {
        switch type {
        case .create: .create
        case .update: .update
        case .transition: .statusChange
        case .delete: .delete
        case .resolve: .resolveConflict
        }
    }

    func loadRecord(_ id: UUID, in db: Database) throws -> RecordSnapshot? {
        try loadRecord(key: UUIDText.uppercase(id), in: db)
    }

    func loadRecord(key: String, in db: Database) throws -> RecordSnapshot? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT document FROM records WHERE id = ?"), arguments: [key]) else {
            return nil
        }
        return try decoder.decode(RecordSnapshot.self, from: data)
    }

    /// A record's state to write at the end of the change set.
    struct RecordToStore {
        let key: String
        let record: RecordSnapshot
        /// For a create: its fields, already written as JSON (``PreparedChangeSet``).
        let fieldsJSON: [UInt8]?

        func row() throws -> [SQLValue] {
            [
                .text(key), .text(record.kind.rawValue), .text(UUIDText.uppercase(record.youngPerson)), .text(record.state),
                .integer(record.version), .bool(record.deleted), .blob(try DirectJSON.encode(record, fieldsJSON: fieldsJSON)),
            ]
        }
    }

    static let recordUpsert = MultiRowInsert(
        "INSERT INTO records(id, kind, young_person, state, version, deleted, document)", columns: 7,
        suffix: """
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, version = excluded.version,
              deleted = excluded.deleted, document = excluded.document
            """)

    static let historyInsert = MultiRowInsert(
        "INSERT INTO record_history(record_id, version, change_set, user_name, device_id, made_at, received_at, operation, outcome, changes)",
        columns: 10)

    func historyRow(_ entry: HistoryEntry, recordKey: String, deviceKey: String, fieldsJSON: [UInt8]?) throws -> [SQLValue] {
        [
            .text(recordKey), .integer(entry.version), .text(UUIDText.uppercase(entry.by.changeSet)), .text(entry.by.user),
            .text(deviceKey), .text(entry.by.madeAt), .text(entry.by.receivedAt), .text(entry.operation.rawValue),
            .text(entry.outcome.rawValue), .blob(try DirectJSON.encode(entry.changes, fieldsJSON: fieldsJSON)),
        ]
    }

    /// The stored records among `keys`, by id; ids with no record map to nil (a create).
    func loadRecords(_ ids: [UUID], keys: [String], in db: Database) throws -> [UUID: RecordSnapshot?] {
        var found = [UUID: RecordSnapshot?](ids.map { ($0, RecordSnapshot?.none) }, uniquingKeysWith: { first, _ in first })
        let unique = Array(Set(keys))
        var start = 0
        while start < unique.count {
            let chunk = unique[start..<min(start + 100, unique.count)]
            let list = "[" + chunk.map { "\"\($0)\"" }.joined(separator: ",") + "]"
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT document FROM records WHERE id IN (SELECT value FROM json_each(?))"), arguments: [list])
            while let row = try rows.next() {
                let record = try decoder.decode(RecordSnapshot.self, from: row[0] as Data)
                found[record.id] = .some(record)
            }
            start += 100
        }
        return found
    }

    func store(_ conflict: Conflict, openedAt version: Int64, in db: Database) throws {
        try db.cachedStatement(
            sql: "INSERT INTO conflicts(id, record_id, field, status, opened_version, document) VALUES (?, ?, ?, 'open', ?, ?)"
        ).execute(
            arguments: [conflict.id.uuidString, conflict.record.uuidString, conflict.field, version, try encoder.encode(conflict)])
    }
}
