import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Finding 16 (issue 9): the device store is private and honest. The `fieldsync` CLI refuses a
/// missing key, an emptied or foreign store file and values moved between rows, with a code and
/// a message, instead of starting afresh or showing them; a store sealed before values were bound
/// to their rows is re-sealed on first open.
@Suite("Device store: private and honest")
struct DeviceStoreTests {
    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { $0 & 0o777 }
    }

    /// The one key file in the world's key folder (tests here enrol one device).
    static func keyFile(_ world: TestWorld) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: world.keyDirectory)
        guard names.count == 1 else { throw WorldError("expected one key file, found \(names)") }
        return world.keyDirectory + "/" + names[0]
    }

    static func python(_ script: String, _ arguments: [String]) throws -> String {
        let out = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script] + arguments)
        guard out.succeeded else { throw WorldError("python failed: \(out.stderr)") }
        return out.stdout
    }

    static func error(_ out: CommandOutput) -> (code: String, message: String)? {
        struct Body: Decodable {
            struct E: Decodable {
                let code: String
                let message: String
            }
            let error: E
        }
        return (try? JSONDecoder().decode(Body.self, from: Data(out.stdout.utf8))).map { ($0.error.code, $0.error.message) }
    }

    @Test("The store, its key file and the key folder are readable by their user only")
    func privateFiles() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Private"])
        try alice.sync()
        #expect(Self.mode(alice.store) == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: alice.store + suffix) {
            #expect(Self.mode(alice.store + suffix) == 0o600, "\(suffix)")
        }
        #expect(Self.mode(try Self.keyFile(world)) == 0o600)
        #expect(Self.mode(world.keyDirectory) == 0o700)
    }

    @Test("A missing key file is refused with store_key_missing: no new key, nothing lost once it is back")
    func missingKeyIsRefused() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=Not yet sent"])
        let keyFile = try Self.keyFile(world)
        try FileManager.default.moveItem(atPath: keyFile, toPath: keyFile + ".aside")
        let refused = try alice.run(["status", "--json"])
        #expect(refused.status == 1)
        let error = try #require(Self.error(refused))
        #expect(error.code == "store_key_missing" && error.message.contains(keyFile) && error.message.contains("Nothing was changed"))
        #expect(!FileManager.default.fileExists(atPath: keyFile), "no new key was written")
        let text = try alice.run(["show", id.uuidString])
        #expect(text.status == 1 && text.stderr.contains("[store_key_missing]"))
        // Another key in its place: refused as the wrong key, and that key is left alone.
        let wrong = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        try wrong.write(to: URL(fileURLWithPath: keyFile))
        let mismatched = try alice.run(["status", "--json"])
        #expect(mismatched.status == 1 && Self.error(mismatched)?.code == "store_key_mismatch", "\(mismatched.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == wrong)
        try FileManager.default.removeItem(atPath: keyFile)
        // The key back: everything is there, still unsent.
        try FileManager.default.moveItem(atPath: keyFile + ".aside", toPath: keyFile)
        #expect(try alice.status().unsent == 1)
        #expect(try alice.show(id).fields["purpose"] == .string("Not yet sent"))
    }

    @Test("An emptied store file is refused with store_empty, not re-created as a fresh store")
    func emptiedStoreIsRefused() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Will be lost if the store is emptied"])
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: alice.store + suffix) }
        try Data().write(to: URL(fileURLWithPath: alice.store))
        let refused = try alice.run(["status", "--json"])
        #expect(refused.status == 1)
        #expect(Self.error(refused)?.code == "store_empty", "\(refused.stdout)")
        #expect(!refused.stdout.contains("\"unsent\""), "no status is reported for it")
        #expect(try Data(contentsOf: URL(fileURLWithPath: alice.store)).isEmpty, "the empty file is left as it was")
        let sync = try alice.run(["sync"])
        #expect(sync.status == 1 && sync.stderr.contains("[store_empty]"))
    }

    @Test("A file that is not a FieldSync store is refused with store_not_fieldsync and left unchanged")
    func foreignFilesAreRefused() throws {
        let world = try TestWorld(startServer: false)
        let text = world.root.appendingPathComponent("notes.txt").path
        try Data("shopping list\n".utf8).write(to: URL(fileURLWithPath: text))
        let device = Device(store: text, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson)
        let refused = try device.run(["status", "--json"])
        #expect(refused.status == 1 && Self.error(refused)?.code == "store_not_fieldsync", "\(refused.stdout)")
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "shopping list\n")

        let other = world.root.appendingPathComponent("other.sqlite").path
        _ = try Self.python("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t(x)'); c.commit()", [other])
        let sqlite = try Device(store: other, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson).run([
            "enrol", "--server", "http://127.0.0.1:1", "--code", "X", "--json",
        ])
        #expect(sqlite.status == 1 && Self.error(sqlite)?.code == "store_not_fieldsync", "\(sqlite.stdout)")
        let tables = try Self.python(
            "import sqlite3, sys\nprint(','.join(r[0] for r in sqlite3.connect(sys.argv[1]).execute(\"SELECT name FROM sqlite_master WHERE type='table'\")))",
            [other])
        #expect(tables.trimmingCharacters(in: .whitespacesAndNewlines) == "t", "no FieldSync tables added")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: world.keyDirectory))?.isEmpty ?? true, "no key made")

        // A store path with nothing there: only enrolment makes a store.
        let missing = Device(
            store: world.root.appendingPathComponent("typo.sqlite").path, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson)
        let status = try missing.run(["status", "--json"])
        #expect(status.status == 1 && Self.error(status)?.code == "store_missing")
        #expect(!FileManager.default.fileExists(atPath: missing.store))
    }

    /// Swaps a column between two rows (or two tables) of the store, as someone with the file could.
    static let swapTool = """
        import sqlite3, sys
        db, first_table, first_id, second_table, second_id = sys.argv[1:6]
        c = sqlite3.connect(db)
        a = c.execute(f"SELECT document FROM {first_table} WHERE id = ?", (first_id,)).fetchone()[0]
        b = c.execute(f"SELECT document FROM {second_table} WHERE id = ?", (second_id,)).fetchone()[0]
        c.execute(f"UPDATE {first_table} SET document = ? WHERE id = ?", (b, first_id))
        c.execute(f"UPDATE {second_table} SET document = ? WHERE id = ?", (a, second_id))
        c.commit()
        """

    @Test("Documents swapped between rows are refused with store_value_invalid, not shown")
    func swappedDocumentsAreRefused() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let first = try alice.newVisit(["purpose=First child"])
        let second = try alice.newVisit(["purpose=Second child"])
        try alice.sync()
        #expect(try alice.show(first).fields["purpose"] == .string("First child"))
        _ = try Self.python(Self.swapTool, [alice.store, "local_records", first.uuidString, "local_records", second.uuidString])
        for command in [["show", first.uuidString], ["show", second.uuidString], ["list"]] {
            let out = try alice.run(command + ["--json"])
            #expect(out.status == 1 && Self.error(out)?.code == "store_value_invalid", "\(command): \(out.stdout)")
            #expect(!out.stdout.contains("First child") && !out.stdout.contains("Second child"))
        }
        // Put back, it reads again; the server's copy moved into the local view is refused too.
        _ = try Self.python(Self.swapTool, [alice.store, "local_records", first.uuidString, "local_records", second.uuidString])
        #expect(try alice.show(first).fields["purpose"] == .string("First child"))
        _ = try Self.python(Self.swapTool, [alice.store, "server_records", first.uuidString, "local_records", first.uuidString])
        let crossTable = try alice.run(["show", first.uuidString, "--json"])
        #expect(crossTable.status == 1 && Self.error(crossTable)?.code == "store_value_invalid", "\(crossTable.stdout)")
    }

    /// Turns a store back into one as the first client wrote it: schema v1 (plain young-person
    /// ids and states, plain verdict messages and last sync time, one key for everything) with
    /// every value sealed without its row binding, and no scheme marker.
    static let unbindTool = """
        import sqlite3, sys, base64, os, json
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        db, keyfile = sys.argv[1], sys.argv[2]
        master = AESGCM(open(keyfile, "rb").read())
        def bound(aes, sealed, table, key):
            return aes.decrypt(sealed[:12], sealed[12:], f"fieldsync-store|v2|{table}|{key}".encode())
        def unbound(plain):
            nonce = os.urandom(12)
            return nonce + master.encrypt(nonce, plain, None)
        c = sqlite3.connect(db)
        def setting(key):
            row = c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            return None if row is None else bound(master, base64.b64decode(row[0]), "settings", key)
        content = AESGCM(setting("content_key"))
        last = setting("last_sync_at")
        for key in ("key_check", "token"):
            c.execute("UPDATE settings SET value = ? WHERE key = ?", (base64.b64encode(unbound(setting(key))).decode(), key))
        if last is not None:
            c.execute("UPDATE settings SET value = ? WHERE key = 'last_sync_at'", (last.decode(),))
        c.execute("DELETE FROM settings WHERE key IN ('content_key', 'policy', 'erased_at', 'last_contact_at', 'seal_scheme')")
        c.execute("ALTER TABLE local_records ADD COLUMN state TEXT NOT NULL DEFAULT ''")
        for table in ("server_records", "local_records"):
            for (i, d) in c.execute(f"SELECT id, document FROM {table}").fetchall():
                plain = bound(content, d, table, i)
                c.execute(f"UPDATE {table} SET document = ? WHERE id = ?", (unbound(plain), i))
                if table == "local_records":
                    doc = json.loads(plain)
                    c.execute("UPDATE local_records SET young_person = ?, state = ? WHERE id = ?", (doc["youngPerson"].upper(), doc["state"], i))
        for (s, b) in c.execute("SELECT sequence, body FROM outbox").fetchall():
            c.execute("UPDATE outbox SET body = ? WHERE sequence = ?", (unbound(bound(master, b, "outbox", str(s))), s))
        for (cs, n, o, m) in c.execute("SELECT change_set, op_index, operation, message FROM verdicts").fetchall():
            op = bound(content, o, "verdicts", f"{cs}/{n}")
            message = None if m is None else bound(content, m, "verdicts.message", f"{cs}/{n}").decode()
            c.execute("UPDATE verdicts SET operation = ?, message = ? WHERE change_set = ? AND op_index = ?", (unbound(op), message, cs, n))
        c.execute("DROP TABLE retained_on_server")
        c.execute("DROP TABLE fetched_on_demand")
        c.execute("DELETE FROM grdb_migrations WHERE identifier = 'v2-sealed-index'")
        c.commit()
        print(c.execute("SELECT count(*) FROM local_records").fetchone()[0])
        """

    @Test("A store sealed before values were bound to rows is re-sealed on first open and keeps working")
    func unboundStoreIsResealed() throws {
        let world = try TestWorld()
        let alice = try world.device("alice").uncheckedLocally  // to get a refusal from the server
        let synced = try alice.newVisit(["purpose=Synced before the upgrade"])
        try alice.sync()
        #expect(try alice.run(["set", synced.uuidString, "managerNote=Not an adviser's to write"]).succeeded)
        #expect(try alice.sync().refused == 1, "a verdict with a message, to be moved too")
        let unsent = try alice.newVisit(["purpose=Unsent at the upgrade"])
        let count = try Self.python(Self.unbindTool, [alice.store, try Self.keyFile(world)])
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(try alice.list().count == 2)
        #expect(try alice.show(synced).fields["purpose"] == .string("Synced before the upgrade"))
        #expect(try alice.json([VerdictView].self, ["verdicts", "--rejected"]).first?.code == "forbidden")
        #expect(try alice.json([VerdictView].self, ["verdicts", "--rejected"]).first?.message?.isEmpty == false)
        // Moved onto schema v2: young people as keyed hashes, no plain state.
        let plain = try Self.python(
            "import sqlite3, sys\nprint(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM local_records WHERE young_person = ?\", (sys.argv[2],)).fetchone()[0])",
            [alice.store, alice.youngPerson.uuidString])
        #expect(plain.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let scheme = try Self.python(
            "import sqlite3, sys\nprint(sqlite3.connect(sys.argv[1]).execute(\"SELECT value FROM settings WHERE key='seal_scheme'\").fetchone()[0])",
            [alice.store])
        #expect(scheme.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        // The token, outbox and verdicts were re-sealed too: the unsent edit goes out.
        let report = try alice.sync()
        #expect(report.sent == 1 && report.unsent == 0)
        #expect(try alice.show(unsent).version > 0)
        // Bound now: a swap is refused.
        _ = try Self.python(Self.swapTool, [alice.store, "local_records", synced.uuidString, "local_records", unsent.uuidString])
        #expect(Self.error(try alice.run(["list", "--json"]))?.code == "store_value_invalid")
    }
}
