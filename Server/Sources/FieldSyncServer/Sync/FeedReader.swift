import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Synchronization

/// Reads the change feed for one device: the current state of every record in the device's
/// scope whose version is after the cursor, in version order, a page at a time.
///
/// Each record's wire JSON is stored ready-made, so a page is written by joining stored bytes:
/// no decoding or encoding on the pull path. With one SQLite writer, versions become visible
/// in commit order, so a reader can never see version n+1 before n (contract 3.3).
///
/// A page is read in a WAL read transaction (`pool.read`): it never waits for the writer, and a
/// long push never holds up a pull. What a pull writes (a new scope snapshot, its SYNC_DOWNLOAD
/// audit entry, the device's health report) goes to the ``GroupCommitWriter`` as side writes.
///
/// Scope changes (contract 5.3): the cursor carries the generation of the scope it was given
/// under. When the user's scope now differs, the next pages are a catch-up: every record of the
/// young people gained (up to the cursor's sequence; later ones follow in the normal feed), `limit`
/// at a time, and, on the first of them, the list of young people lost, which the device removes.
/// The cursor then names a new generation, and while the catch-up is part-way, how far it got.
///
/// Only cursors this server issued to this device are taken (`bad_cursor` otherwise): a
/// generation it was given, never generation 0 past the start, never a sequence beyond the feed.
struct FeedReader: Sendable {
    let database: ServerDatabase
    let writer: GroupCommitWriter
    let audit: ReadAudit

    init(database: ServerDatabase, writer: GroupCommitWriter, auditMode: ReadAuditMode = .strict) {
        self.database = database
        self.writer = writer
        self.audit = ReadAudit(writer: writer, mode: auditMode)
    }

    /// What one read transaction found: the page's records and what the cursor must say.
    private struct Read: Sendable {
        var documents: [Data]
        var removed: [UUID]
        var more: Bool
        var sequence: Int64
        /// The generation the page was read under; nil when a new one must be stored for `scope`.
        var generation: Int64?
        var scope: AccessScope
        var catchUp: FeedCursor.CatchUp?
        var isCatchUp: Bool
    }

    func page(for device: AuthenticatedDevice, after cursor: FeedCursor, limit: Int, report: DeviceReport? = nil) async throws -> Data {
        let read = try await database.pool.read { db in try Self.read(device: device, after: cursor, limit: limit, in: db) }
        return try await finish(read, for: device, after: cursor, report: report)
    }

    /// The page for the device behind `authorization`, authenticated and read in one read
    /// transaction (one trip to a reader per pull: a polling device's pull is mostly these trips).
    func page(
        authorization: String?, authenticator: DeviceAuthenticator, after cursor: FeedCursor, limit: Int, report: DeviceReport?
    ) async throws -> Data {
        let (device, read) = try await authenticator.authenticate(authorization: authorization) { device, db in
            try Self.read(device: device, after: cursor, limit: limit, in: db)
        }
        return try await finish(read, for: device, after: cursor, report: report)
    }

    /// The page's JSON, after storing a new scope generation if the read needs one and auditing it.
    private func finish(_ read: Read, for device: AuthenticatedDevice, after cursor: FeedCursor, report: DeviceReport?) async throws -> Data
    {
        var generation = read.generation ?? 0
        if read.generation == nil {
            // The cursor must name a generation that is stored before the device can send it back.
            generation = try await writer.commit([.scopeSnapshot(device: device.deviceId, scope: read.scope)]).first.flatMap { $0 } ?? 0
        }
        let next = FeedCursor(sequence: read.sequence, generation: generation, catchUp: read.catchUp)
        let page = DirectJSON.pullPage(documents: read.documents, cursor: next, more: read.more, removed: read.removed)
        ServerMetrics.pullPage(records: read.documents.count, bytes: page.count)
        if read.documents.isEmpty && read.removed.isEmpty && read.generation != nil && !read.isCatchUp {
            // Nothing of any case was read (a device polling an unchanged feed): its contact is
            // kept for device health, but it is not a read for the audit trail (docs/decisions.md).
            await audit.report(report, by: device)
            return page
        }
        try await audit.record(
            .syncDownload, by: device,
            detail: PullAuditDetail(
                records: read.documents.count, after: cursor, cursor: next, isCatchUp: read.isCatchUp, removed: read.removed
            ).text,
            report: report)
        return page
    }

    static func badCursor(_ cursor: FeedCursor, _ why: String) -> APIError {
        APIError(
            .badRequest, .badCursor,
            "The cursor '\(cursor.token)' is not one this server gave this device (\(why)). Start over: pull again without a cursor (fieldsync does this by itself); records already on the device are sent again and nothing is lost."
        )
    }

    /// The scope a device was given under `generation`. Snapshots never change once written, so
    /// each is decoded once and kept (a polling device sends the same generation every time).
    static func snapshot(_ device: String, _ generation: Int64, in db: Database) throws -> AccessScope? {
        let key = "\(device).\(generation)"
        if let known = snapshots.withLock({ $0[key] }) { return known }
        guard
            let scope = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT scope FROM scope_snapshots WHERE device_id = ? AND generation = ?"),
                arguments: [device, generation]
            ).map({ try WireProtocol.makeDecoder().decode(AccessScope.self, from: $0) })
        else { return nil }
        snapshots.withLock { cache in
            if cache.count >= 20_000 { cache.removeAll() }  // bounded: a cache, not a copy of the table
            cache[key] = scope
        }
        return scope
    }

    private static let snapshots = Mutex<[String: AccessScope]>([:])

    private static func read(device: AuthenticatedDevice, after cursor: FeedCursor, limit: Int, in db: Database) throws -> Read {
        let deviceId = device.deviceId.uuidString
        let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM feed_counter WHERE id = 1")) ?? 0
        guard cursor.sequence <= head else { throw badCursor(cursor, "it is beyond the end of the feed") }
        let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)

        // What the device holds: nothing yet (the start), or the scope of the cursor's generation.
        if cursor.generation == 0 {
            guard cursor.sequence == 0 else { throw badCursor(cursor, "it names no scope generation") }
            return try feed(scope: scope, generation: nil, after: 0, head: head, limit: limit, in: db)
        }
        guard let given = try snapshot(deviceId, cursor.generation, in: db) else {
            throw badCursor(cursor, "its scope generation was never given to this device")
        }
        if let catchUp = cursor.catchUp {
            guard let before = try snapshot(deviceId, catchUp.from, in: db) else {
                throw badCursor(cursor, "its catch-up starts from a generation never given to this device")
            }
            if given == scope {
                // The catch-up goes on where the last page stopped; the lost were named on its first page.
                return try self.catchUp(
                    from: before, held: before, to: scope, generation: cursor.generation, from: catchUp.from, sequence: cursor.sequence,
                    position: catchUp.position, limit: limit, namingLost: false, in: db)
            }
            // The scope changed again part-way: start over from what the device held before, and
            // name as lost whatever of either scope it may hold and no longer may.
            let held = AccessScope(
                allYoungPeople: before.allYoungPeople || given.allYoungPeople, youngPeople: before.youngPeople.union(given.youngPeople),
                kinds: before.kinds.union(given.kinds))
            return try self.catchUp(
                from: before, held: held, to: scope, generation: nil, from: catchUp.from, sequence: cursor.sequence, position: 0,
                limit: limit, namingLost: true, in: db)
        }
        if given == scope {
            return try feed(scope: scope, generation: cursor.generation, after: cursor.sequence, head: head, limit: limit, in: db)
        }
        return try self.catchUp(
            from: given, held: given, to: scope, generation: nil, from: cursor.generation, sequence: cursor.sequence, position: 0,
            limit: limit, namingLost: true, in: db)
    }

    /// A page of the normal feed: records in scope changed after `after`. The last page's cursor
    /// moves to the feed's head (this read saw every version up to it), so a device whose scope
    /// holds few records does not scan the same stretch of the feed again on every pull.
    private static func feed(scope: AccessScope, generation: Int64?, after: Int64, head: Int64, limit: Int, in db: Database) throws -> Read
    {
        let rows: [Row]
        if !scope.allYoungPeople && scope.youngPeople.count <= smallScope {
            // A small caseload: read its young people's records by the (young person, version)
            // index, not every record after the cursor (a device polling during a burst of
            // pushes would otherwise read the whole burst to find its few records).
            rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT version, document FROM records
                        WHERE young_person IN (SELECT value FROM json_each(?)) AND version > ?
                          AND kind IN (SELECT value FROM json_each(?))
                        ORDER BY version LIMIT ?
                        """),
                arguments: [scope.youngPeopleJSON, after, kindsJSON(scope.kinds), limit + 1])
        } else {
            rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT version, document FROM records
                        WHERE version > ? AND kind IN (SELECT value FROM json_each(?))
                          AND (? OR young_person IN (SELECT value FROM json_each(?)))
                        ORDER BY version LIMIT ?
                        """),
                arguments: [after, kindsJSON(scope.kinds), scope.allYoungPeople, scope.youngPeopleJSON, limit + 1])
        }
        let page = rows.prefix(limit)
        let more = rows.count > limit
        return Read(
            documents: page.map { $0["document"] }, removed: [], more: more,
            sequence: more ? page.last!["version"] : max(after, head), generation: generation, scope: scope, catchUp: nil, isCatchUp: false)
    }

    /// A page of a catch-up from scope `before` to `scope`: the gained young people's records with
    /// versions in (`position`, `sequence`], `limit` at a time (later versions follow in the feed).
    /// `held` is what the device may hold, for the list of young people lost.
    private static func catchUp(
        from before: AccessScope, held: AccessScope, to scope: AccessScope, generation: Int64?, from fromGeneration: Int64,
        sequence: Int64, position: Int64, limit: Int, namingLost: Bool, in db: Database
    ) throws -> Read {
        // Losing a kind (or "all young people") removes everything and sends the new scope whole.
        // Kinds and "all" follow the role, so `held` and `before` agree on this.
        let lostKind = !held.kinds.isSubset(of: scope.kinds) || (held.allYoungPeople && !scope.allYoungPeople)
        var removed: [UUID] = []
        if namingLost {
            removed = lostKind ? Array(held.youngPeople) : Array(held.youngPeople.subtracting(scope.youngPeople))
        }
        let gained = scope.youngPeople.subtracting(lostKind ? [] : before.youngPeople)
        let widened = scope.allYoungPeople && !before.allYoungPeople || !scope.kinds.isSubset(of: before.kinds)
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT version, document FROM records
                    WHERE version > ? AND version <= ? AND kind IN (SELECT value FROM json_each(?))
                      AND (? OR young_person IN (SELECT value FROM json_each(?)))
                    ORDER BY version LIMIT ?
                    """),
            arguments: [
                position, sequence, kindsJSON(scope.kinds), widened && scope.allYoungPeople,
                widened ? scope.youngPeopleJSON : AccessScope(allYoungPeople: false, youngPeople: gained, kinds: []).youngPeopleJSON,
                limit + 1,
            ])
        let page = rows.prefix(limit)
        // Part-way: the cursor says how far; done: the normal feed goes on from `sequence`.
        let progress: FeedCursor.CatchUp? =
            rows.count > limit ? FeedCursor.CatchUp(from: fromGeneration, position: page.last!["version"]) : nil
        return Read(
            documents: page.map { $0["document"] }, removed: removed, more: true, sequence: sequence, generation: generation,
            scope: scope, catchUp: progress, isCatchUp: true)
    }

    /// Up to this many young people, the feed is read by young person (measured on 20,000
    /// records: 1 young person 10 µs against 320 µs for the scan by version, 12 about 40 against
    /// 380; from about 64 the scan by version is faster).
    static let smallScope = 16

    static func kindsJSON(_ kinds: Set<RecordKind>) -> String {
        "[" + kinds.map { "\"\($0.rawValue)\"" }.sorted().joined(separator: ",") + "]"
    }
}

/// Reads a record's history and its rejected changes.
struct HistoryReader: Sendable {
    let database: ServerDatabase

    /// Nil when the record does not exist or is outside `scope`; else the page and the record's
    /// young person (for the audit entry of the read).
    func history(of record: UUID, scope: AccessScope? = nil) async throws -> (page: HistoryPage, youngPerson: UUID?)? {
        try await database.pool.read { db -> (page: HistoryPage, youngPerson: UUID?)? in
            let decoder = WireProtocol.makeDecoder()
            guard let row = try Row.fetchOne(db, sql: "SELECT kind, young_person FROM records WHERE id = ?", arguments: [record.uuidString])
            else {
                return nil
            }
            if let scope, let kind = RecordKind(rawValue: row["kind"]), let yp = UUID(uuidString: row["young_person"]),
                !scope.allows(kind, yp)
            {
                return nil
            }
            let versions = try Row.fetchAll(
                db, sql: "SELECT * FROM record_history WHERE record_id = ? ORDER BY version", arguments: [record.uuidString]
            ).map { row in
                HistoryEntry(
                    version: row["version"], operation: OperationType(rawValue: row["operation"]) ?? .update,
                    outcome: Outcome(rawValue: row["outcome"]) ?? .applied,
                    by: Authorship(
                        user: row["user_name"], device: UUID(uuidString: row["device_id"]) ?? UUID(),
                        changeSet: UUID(uuidString: row["change_set"]) ?? UUID(), madeAt: row["made_at"],
                        receivedAt: row["received_at"]),
                    changes: try decoder.decode(HistoryChanges.self, from: row["changes"] as Data))
            }
            let rejections = try Row.fetchAll(
                db, sql: "SELECT * FROM rejections WHERE record_id = ? AND outside_scope = 0 ORDER BY id", arguments: [record.uuidString]
            ).map { row in
                RejectedChange(
                    changeSet: UUID(uuidString: row["change_set"]) ?? UUID(), index: row["op_index"], code: row["code"],
                    message: row["message"], by: row["user_name"], receivedAt: row["received_at"],
                    operation: try decoder.decode(ChangeOperation.self, from: row["operation"] as Data))
            }
            let conflicts = try Data.fetchAll(
                db, sql: "SELECT document FROM conflicts WHERE record_id = ? ORDER BY opened_version", arguments: [record.uuidString]
            ).map { try decoder.decode(Conflict.self, from: $0) }
            return (
                HistoryPage(record: record, versions: versions, rejections: rejections, conflicts: conflicts),
                UUID(uuidString: row["young_person"])
            )
        }
    }
}
