import FieldSyncProtocol
import Foundation
import GRDB

/// The client library's entry point: one device's local store, its edits and its syncs.
///
/// Edits apply to the local view at once and are queued as change sets in the outbox, in one
/// transaction; `sync()` pushes the outbox in order, then pulls the feed.
public final class FieldSyncDevice: Sendable {
    let store: LocalStore
    let encoder = WireProtocol.makeEncoder()
    let decoder = WireProtocol.makeDecoder()
    /// The longest the server may stay silent (connecting, or mid-answer) before a request fails
    /// as unreachable.
    let requestTimeout: Duration
    /// Whether edits are checked here against the permission matrix and the lifecycle before they
    /// are queued (``RecordPolicy``), so what the server would refuse is refused at once, in its
    /// words. Off only to test a server's own checks.
    let checksRulesLocally: Bool

    /// Opens the device's store, or makes it when there is none at `storePath` and `createStore`
    /// is true (enrolment). Its contents are encrypted with the key in `keyFile` (by default a
    /// file outside the store's folder, see ``StoreKeyFile``).
    public init(
        storePath: String, keyFile: StoreKeyFile? = nil, createStore: Bool = true, requestTimeout: Duration = .seconds(30),
        checksRulesLocally: Bool = true
    ) throws(ClientError) {
        store = try LocalStore(path: storePath, keyFile: keyFile ?? .for(storePath: storePath), create: createStore)
        self.requestTimeout = requestTimeout
        self.checksRulesLocally = checksRulesLocally
        try enforceOfflineErase()
    }

    /// Encodes a value and seals it with the store key, for its row.
    func seal<T: Encodable>(_ value: T, for row: SealedRow) throws -> Data { try store.cipher.seal(try encoder.encode(value), for: row) }

    /// A record is sealed as `DirectJSON` writes it (the same JSON, without the `Encodable`
    /// machinery: a first sync seals every record it receives).
    func seal(_ record: RecordSnapshot, for row: SealedRow) throws -> Data {
        try store.cipher.seal(try DirectJSON.encode(record), for: row)
    }

    /// Opens a sealed value from its row and decodes it.
    func unseal<T: Decodable>(_ type: T.Type, _ data: Data, from row: SealedRow) throws -> T {
        try decoder.decode(type, from: try store.cipher.open(data, for: row))
    }

    /// A record is read with the fast record reader first (`list` opens every record in the store).
    func unseal(_ type: RecordSnapshot.Type, _ data: Data, from row: SealedRow) throws -> RecordSnapshot {
        let plain = try store.cipher.open(data, for: row)
        return try RecordSnapshotFastDecoder.decode(plain) ?? decoder.decode(type, from: plain)
    }

    public var storePath: String { store.path }

    // MARK: enrolment

    public struct Enrolment: Codable, Sendable {
        public let server: String
        public let device: String
        public let user: String
        public let role: String
        public let team: String
    }

    public func enrol(server: String, code: String, deviceName: String?) async throws(ClientError) -> Enrolment {
        if let existing = try store.read({ db in try store.setting(SettingKey.device, in: db) }) {
            throw ClientError(
                "already_enrolled", "This store is already enrolled as device \(existing). Use another --store for another device.")
        }
        let body: Data
        do { body = try encoder.encode(EnrolmentRequest(code: code, deviceName: deviceName)) } catch { throw .storage(error) }
        let answer = try await withConnection(server: server, token: nil) { connection throws(ClientError) in
            try await connection.send(.post, "v1/enrol", body: body)
        }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        let response: EnrolmentResponse
        do { response = try decoder.decode(EnrolmentResponse.self, from: answer.body) } catch {
            throw ClientError("bad_answer", "The server's answer to the enrolment could not be read: \(error)")
        }
        try store.write { db in
            try store.setSetting(SettingKey.server, server, in: db)
            try store.setSetting(
                SettingKey.token, try store.cipher.seal(Data(response.token.utf8), for: .setting(SettingKey.token)).base64EncodedString(),
                in: db)
            try store.setSetting(SettingKey.device, response.device, in: db)
            try store.setSetting(SettingKey.user, response.user, in: db)
            try store.setSetting(SettingKey.role, response.role, in: db)
            try store.setSetting(SettingKey.team, response.team, in: db)
            try store.setSetting(SettingKey.cursor, FeedCursor.start.token, in: db)
            try store.setSetting(SettingKey.nextSequence, "1", in: db)
            // Enrolling is contact: the offline lease starts here.
            try store.setSealedSetting(SettingKey.lastContactAt, WireTime.now(), in: db)
        }
        return Enrolment(server: server, device: response.device, user: response.user, role: response.role, team: response.team)
    }

    // MARK: edits

    /// Makes a new record on this device; it reaches the server on the next sync.
    public func create(kind: RecordKind, youngPerson: UUID, state: String? = nil, fields: [String: JSONValue]) throws(ClientError)
        -> RecordSnapshot
    {
        let op = ChangeOperation.create(UUID(), kind: kind, youngPerson: youngPerson, state: state, fields: fields)
        do { try OperationCheck.check(op, context: "The new \(kind.rawValue) record") } catch {
            throw ClientError(error.code.rawValue, error.message)
        }
        return try store.write { db in
            if let policy = try localPolicy(in: db),
                let (code, why) = policy.create(kind: kind, fields: fields.keys, state: state ?? kind.schema.lifecycle.defaultInitialState)
            {
                throw Self.localRefusal(code, why)
            }
            return try enqueue(op, in: db)
        }
    }

    /// Sets fields of a record. Each field's base is what this device showed before the edit.
    public func update(record id: UUID, fields: [String: JSONValue]) throws(ClientError) -> RecordSnapshot {
        try store.write { db in
            let current = try requireLocal(id, in: db)
            let base = try serverVersion(id, in: db)
            do throws(ValidationError) { try FieldValidation.check(fields, of: current.kind, context: "The edit") } catch {
                throw ClientError(error.code.rawValue, error.message)
            }
            switch try localPolicy(in: db)?.edit(current, fields: fields.keys) {
            case .refused(let code, let why): throw Self.localRefusal(code, why)
            case .locked(let notYours): throw Self.localRefusal(.notEditable, RecordPolicy.lockedEdit(current, notYours: notYours))
            case .allowed, nil: break
            }
            let baseFields = Dictionary(uniqueKeysWithValues: fields.keys.map { ($0, current.fields[$0] ?? .null) })
            return try enqueue(.update(id, base: base, fields: fields, baseFields: baseFields), in: db)
        }
    }

    public func transition(record id: UUID, to state: String, reason: String? = nil) throws(ClientError) -> RecordSnapshot {
        try store.write { db in
            let current = try requireLocal(id, in: db)
            if let policy = try localPolicy(in: db) {
                if let (code, why) = try policy.transition(current, to: state, reason: reason) { throw Self.localRefusal(code, why) }
                return try enqueue(.transition(id, base: try serverVersion(id, in: db), to: state, reason: reason), in: db)
            }
            let lifecycle = current.kind.schema.lifecycle
            guard lifecycle.canMove(from: current.state, to: state) else {
                let options = (lifecycle.transitions[current.state] ?? []).joined(separator: " or ")
                throw ClientError(
                    "transition_not_allowed",
                    "A \(current.state) \(current.kind.rawValue) record can move to \(options.isEmpty ? "no other state" : options), not \(state)."
                )
            }
            if let check = lifecycle.entryChecks[state] {
                let problems = check(current.fields)
                if !problems.isEmpty {
                    throw ClientError(
                        "transition_check_failed",
                        "The \(current.kind.rawValue) cannot become \(state) yet: \(problems.joined(separator: " "))")
                }
            }
            return try enqueue(.transition(id, base: try serverVersion(id, in: db), to: state, reason: reason), in: db)
        }
    }

    public func delete(record id: UUID) throws(ClientError) -> RecordSnapshot {
        try store.write { db in
            let current = try requireLocal(id, in: db)
            if let (code, why) = try localPolicy(in: db)?.discard(current) { throw Self.localRefusal(code, why) }
            return try enqueue(.delete(id, base: try serverVersion(id, in: db)), in: db)
        }
    }

    /// Settles a conflict: keep the current value, take the held one, or write a new value.
    public func resolve(conflict id: UUID, choice: ResolutionChoice, value: JSONValue? = nil) throws(ClientError) -> RecordSnapshot {
        try store.write { db in
            guard let record = try localRecords(in: db).first(where: { $0.conflicts.contains { $0.id == id } }) else {
                throw ClientError(
                    "conflict_not_found", "There is no open conflict \(id) on this device. List them with: fieldsync conflicts")
            }
            return try enqueue(
                .resolve(record.id, base: try serverVersion(record.id, in: db), conflict: id, choice: choice, value: value), in: db)
        }
    }

    /// The rules as the server applies them, for this device's user and role; nil when local checks are off.
    func localPolicy(in db: Database) throws -> RecordPolicy? {
        guard checksRulesLocally, let user = try store.setting(SettingKey.user, in: db) else { return nil }
        let role = try store.setting(SettingKey.role, in: db).flatMap(Role.init(rawValue:))
        // Who else wrote the record is the server's to know: a move that depends on it is left to the server.
        return RecordPolicy(actor: Actor(user: user, role: role), contributed: { _, _ in false })
    }

    /// An edit the server would refuse, refused before it is queued, in the server's words.
    static func localRefusal(_ code: RejectionCode, _ why: String) -> ClientError {
        ClientError(
            code.rawValue,
            "\(why) Nothing was saved on this device. (Checked against this device's copy as of its last sync; the server decides.)")
    }

    /// Queues one operation as a change set and lays it on the local view, in the caller's transaction.
    func enqueue(_ op: ChangeOperation, in db: Database) throws -> RecordSnapshot {
        guard let user = try store.setting(SettingKey.user, in: db) else { throw ClientError.notEnrolled() }
        let sequence = Int64(try store.setting(SettingKey.nextSequence, in: db) ?? "1") ?? 1
        let changeSet = ChangeSet(deviceSequence: sequence, operations: [op])
        try db.execute(
            sql: "INSERT INTO outbox(sequence, id, made_at, body) VALUES (?, ?, ?, ?)",
            arguments: [sequence, changeSet.id.uuidString, changeSet.madeAt, try seal(changeSet, for: .outbox(sequence))])
        try db.execute(sql: "INSERT INTO outbox_records(sequence, record) VALUES (?, ?)", arguments: [sequence, op.record.uuidString])
        try store.setSetting(SettingKey.nextSequence, String(sequence + 1), in: db)
        let current = try localRecord(op.record, in: db)
        guard let updated = LocalApply.apply(op, to: current, author: user, at: changeSet.madeAt) else {
            throw ClientError.noRecord(op.record.uuidString)
        }
        try saveLocal(updated, pending: true, in: db)
        return updated
    }

    // MARK: reading the local view

    /// A record as this device shows it; logged as a view (``ViewLog``).
    public func record(_ id: UUID) throws(ClientError) -> LocalRecord? {
        try requireCaseAccess()
        return try logged(.show, unloggedRecord(id))
    }

    /// Finds a record by its id or a unique prefix of it (as `fieldsync show 3f2a` allows), to
    /// show it; logged as a view (``ViewLog``).
    public func findRecord(_ text: String) throws(ClientError) -> LocalRecord {
        try requireCaseAccess()
        return try logged(.show, resolveRecord(text))
    }

    /// The records on this device, to list them; logged as a view of the records returned (``ViewLog``).
    public func records(kind: RecordKind? = nil, includeDeleted: Bool = false) throws(ClientError) -> [LocalRecord] {
        try requireCaseAccess()
        return try logged(.list, unloggedRecords(kind: kind, includeDeleted: includeDeleted))
    }

    func unloggedRecord(_ id: UUID) throws(ClientError) -> LocalRecord? {
        try store.read { db in try localRecord(id, in: db).map { LocalRecord(snapshot: $0, pending: try isPending($0.id, in: db)) } }
    }

    /// Finds a record by its id or a unique prefix, for a command that acts on it rather than
    /// showing it (an edit starts from its fields; a history fetch needs its id): not a view, so
    /// not logged, and it works past the offline lease (edits go on offline); callers must not show it. A device app shows records through ``record(_:)``, ``findRecord(_:)`` and
    /// ``records(kind:includeDeleted:)``, which are.
    public func resolveRecord(_ text: String) throws(ClientError) -> LocalRecord {
        let needle = text.lowercased()
        let matches: [String] = try store.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM local_records WHERE lower(id) LIKE ? || '%'", arguments: [needle])
        }
        guard !matches.isEmpty else { throw ClientError.noRecord(text) }
        guard matches.count == 1, let id = UUID(uuidString: matches[0]), let found = try unloggedRecord(id) else {
            throw ClientError("ambiguous_record_id", "'\(text)' matches \(matches.count) records; give more of the id.")
        }
        return found
    }

    func unloggedRecords(kind: RecordKind?, includeDeleted: Bool) throws(ClientError) -> [LocalRecord] {
        try store.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT id, document, pending FROM local_records WHERE (? IS NULL OR kind = ?) AND (? OR deleted = 0) ORDER BY updated_at, id",
                arguments: [kind?.rawValue, kind?.rawValue, includeDeleted]
            ).map {
                LocalRecord(
                    snapshot: try unseal(RecordSnapshot.self, $0["document"] as Data, from: .localRecord($0["id"])), pending: $0["pending"])
            }
        }
    }

    func localRecords(in db: Database) throws -> [RecordSnapshot] {
        try Row.fetchAll(db, sql: "SELECT id, document FROM local_records").map {
            try unseal(RecordSnapshot.self, $0["document"] as Data, from: .localRecord($0["id"]))
        }
    }

    func localRecord(_ id: UUID, in db: Database) throws -> RecordSnapshot? {
        try Data.fetchOne(db, sql: "SELECT document FROM local_records WHERE id = ?", arguments: [id.uuidString]).map {
            try unseal(RecordSnapshot.self, $0, from: .localRecord(id.uuidString))
        }
    }

    func requireLocal(_ id: UUID, in db: Database) throws -> RecordSnapshot {
        guard let record = try localRecord(id, in: db), !record.deleted else { throw ClientError.noRecord(id.uuidString) }
        return record
    }

    /// The server version this device knows for a record (0 if the server has not answered yet).
    func serverVersion(_ id: UUID, in db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM server_records WHERE id = ?"), arguments: [id.uuidString]) ?? 0
    }

    func isPending(_ id: UUID, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM outbox_records WHERE record = ? LIMIT 1", arguments: [id.uuidString]) ?? false
    }

    func saveLocal(_ record: RecordSnapshot, pending: Bool, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO local_records(id, kind, young_person, deleted, pending, updated_at, document) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET deleted = excluded.deleted, pending = excluded.pending,
                  updated_at = excluded.updated_at, document = excluded.document
                """
        ).execute(
            arguments: [
                record.id.uuidString, record.kind.rawValue, store.cipher.index(youngPerson: record.youngPerson), record.deleted, pending,
                record.updatedAt, try seal(record, for: .localRecord(record.id.uuidString)),
            ])
    }

    /// Recomputes the local view of a record: the server's copy with the unsent edits on top.
    /// - Parameter server: the server's copy, when the caller has just stored it (a pull), so it
    ///   is not read back and opened again.
    func rebuildLocal(_ id: UUID, server: RecordSnapshot? = nil, in db: Database) throws {
        var view: RecordSnapshot?
        if let server {
            view = server
        } else {
            view = try Data.fetchOne(
                db.cachedStatement(sql: "SELECT document FROM server_records WHERE id = ?"), arguments: [id.uuidString]
            )
            .map { try unseal(RecordSnapshot.self, $0, from: .serverRecord(id.uuidString)) }
        }
        let pending = try Row.fetchAll(
            db.cachedStatement(
                sql:
                    "SELECT o.sequence, o.body FROM outbox o JOIN outbox_records r ON r.sequence = o.sequence WHERE r.record = ? ORDER BY o.sequence"
            ),
            arguments: [id.uuidString])
        if pending.isEmpty {
            // Sealed again for its own row: a value sealed for server_records does not open from local_records.
            if let view {
                try saveLocal(view, pending: false, in: db)
            } else {
                try db.execute(sql: "DELETE FROM local_records WHERE id = ?", arguments: [id.uuidString])
            }
            return
        }
        let user = try store.setting(SettingKey.user, in: db) ?? ""
        for row in pending {
            let changeSet = try unseal(ChangeSet.self, row["body"] as Data, from: .outbox(row["sequence"]))
            for op in changeSet.operations where op.record == id {
                view = LocalApply.apply(op, to: view, author: user, at: changeSet.madeAt)
            }
        }
        if let view { try saveLocal(view, pending: true, in: db) }
    }

    static func refusal(_ answer: TransportAnswer) -> ClientError {
        if let detail = ServerConnection.errorBody(answer.body) {
            return ClientError(detail.code, detail.message)
        }
        return ClientError("bad_answer", "The server answered \(answer.status) without a FieldSync error body.")
    }
}

/// A record as this device shows it, and whether unsent edits of this device are in it.
public struct LocalRecord: Codable, Sendable {
    public let snapshot: RecordSnapshot
    public let pending: Bool

    public init(snapshot: RecordSnapshot, pending: Bool) {
        self.snapshot = snapshot
        self.pending = pending
    }
}
