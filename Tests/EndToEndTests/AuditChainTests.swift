import FieldSyncTestSupport
import Foundation
import Testing

/// Finding 7 (issue 9): the audit chain is keyed (HMAC-SHA256, the key in a 0600 file outside the
/// database) and anchored, so `admin audit --verify --anchor FILE` catches the newest entries cut
/// off behind the triggers and a rewrite whose later hashes were recomputed.
@Suite("Audit chain: keyed and anchored")
struct AuditChainTests {
    /// Python over the real database file: what someone holding the file (but not the key) can do.
    static let tamperTool = """
        import sqlite3, sys, hashlib
        db, command = sys.argv[1], sys.argv[2]
        c = sqlite3.connect(db)
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        c.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        def plain(prev, row):
            # The chain's text: length-prefixed fields joined by '|', hashed with plain SHA-256 (no key).
            fields = [prev] + [("" if v is None else v) for v in row]
            return hashlib.sha256(b"|".join(str(len(f.encode())).encode() + b":" + f.encode() for f in fields)).hexdigest()
        def recompute(start):
            prev = c.execute("SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1", (start,)).fetchone()
            prev = prev[0] if prev else "0" * 64
            for (i, *row) in c.execute("SELECT id, at, actor, role, device_id, action, record_id, young_person, detail FROM audit_log WHERE id >= ? ORDER BY id", (start,)).fetchall():
                h = plain(prev, row)
                c.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, i))
                prev = h
        if command == "truncate":
            c.execute("DELETE FROM audit_log WHERE id > (SELECT max(id) FROM audit_log) - ?", (int(sys.argv[3]),))
        elif command == "rewrite":
            target = int(sys.argv[3])
            c.execute("UPDATE audit_log SET actor = 'someone-else' WHERE id = ?", (target,))
            recompute(target)
        elif command == "legacy":
            recompute(1)
        print(c.execute("SELECT count(*) FROM audit_log").fetchone()[0])
        c.commit()
        """

    static func tamper(_ world: TestWorld, _ arguments: String...) throws -> Int {
        let out = try ProcessRunner.run(
            "/usr/bin/env", ["python3", "-c", tamperTool, world.server.dataDirectory + "/fieldsync.sqlite"] + arguments)
        guard out.succeeded, let count = Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw WorldError("tamper \(arguments) failed: \(out.stderr)")
        }
        return count
    }

    /// A world with some audited activity and an anchor taken after it.
    static func anchoredWorld() throws -> (TestWorld, anchor: String) {
        let world = try TestWorld()
        let alice = try world.device("alice")
        for n in 1...3 { _ = try alice.newVisit(["purpose=Visit \(n)"]) }
        try alice.sync()
        let anchor = world.root.appendingPathComponent("anchor.json").path
        let taken = try world.admin(["audit", "anchor", "--out", anchor])
        guard taken.succeeded else { throw WorldError("audit anchor failed: \(taken.stdout)\(taken.stderr)") }
        return (world, anchor)
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { $0 & 0o777 }
    }

    @Test("The key file is made 0600 beside the database, and an anchor names the newest entry")
    func keyFileAndAnchor() throws {
        let (world, anchorPath) = try Self.anchoredWorld()
        let keyFile = world.server.dataDirectory + "/audit.key"
        #expect(Self.mode(keyFile) == 0o600)
        let anchor = try JSONDecoder().decode(AnchorView.self, from: Data(contentsOf: URL(fileURLWithPath: anchorPath)))
        let entries = try JSONDecoder().decode([AuditRow].self, from: Data(try world.admin(["audit", "--json"]).stdout.utf8))
        #expect(anchor.entries == Int64(entries.count) && anchor.head.count == 64)
        #expect(entries.first?.action == "AUDIT_KEY_CREATED" && entries.last?.action == "AUDIT_ANCHOR")
        let verified = try world.admin(["audit", "--verify", "--anchor", anchorPath])
        #expect(
            verified.succeeded && verified.stdout.contains("intact") && verified.stdout.contains("agrees with the anchor"),
            "\(verified.stdout)")
        let printed = try world.admin(["audit", "anchor"])
        #expect(printed.succeeded && printed.stdout.contains("\"head\""))
    }

    @Test("Removing the newest entries behind the trigger passes a plain --verify but not --verify --anchor")
    func truncationIsCaughtByTheAnchor() throws {
        let (world, anchor) = try Self.anchoredWorld()
        world.server.stop()
        let before = try Self.tamper(world, "count")
        let after = try Self.tamper(world, "truncate", "3")
        #expect(after == before - 3)
        // What is left still chains: the chain alone cannot see its newest entries cut off.
        let plain = try world.admin(["audit", "--verify"])
        #expect(plain.succeeded, "\(plain.stdout)")
        let anchored = try world.admin(["audit", "--verify", "--anchor", anchor])
        #expect(anchored.status == 1)
        #expect(anchored.stdout.contains("BROKEN") && anchored.stdout.contains("the newest 3 entries were removed"), "\(anchored.stdout)")
        let json = try world.admin(["audit", "--verify", "--anchor", anchor, "--json"])
        let result = try JSONDecoder().decode(VerificationView.self, from: Data(json.stdout.utf8))
        #expect(!result.intact && result.anchor?.matches == false && result.keyed)
    }

    @Test("A rewritten entry with its later hashes recomputed (plain SHA-256, no key) is caught, with and without the anchor")
    func recomputedRewriteIsCaught() throws {
        let (world, anchor) = try Self.anchoredWorld()
        world.server.stop()
        let entries = try JSONDecoder().decode([AuditRow].self, from: Data(try world.admin(["audit", "--json"]).stdout.utf8))
        let create = try #require(entries.firstIndex { $0.action == "CREATE" })
        _ = try Self.tamper(world, "rewrite", String(create + 1))
        let plain = try world.admin(["audit", "--verify"])
        #expect(plain.status == 1)
        #expect(plain.stdout.contains("entry \(create + 1) was altered"), "\(plain.stdout)")
        let anchored = try world.admin(["audit", "--verify", "--anchor", anchor])
        #expect(anchored.status == 1)
        #expect(anchored.stdout.contains("was altered") && anchored.stdout.contains("hashes recomputed"), "\(anchored.stdout)")

        // The whole trail recomputed from the first entry, as if it had never been keyed: the
        // switch point is in the key file, so the first keyed entry no longer checks out.
        _ = try Self.tamper(world, "legacy")
        let downgraded = try world.admin(["audit", "--verify"])
        #expect(downgraded.status == 1 && downgraded.stdout.contains("entry 1, the first keyed entry"), "\(downgraded.stdout)")
    }

    @Test("A store from before the key keeps verifying; a keyed store whose key file is missing is refused, unchanged")
    func legacyStoresAndMissingKeys() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Before the key"])
        try alice.sync()
        world.server.stop()
        let keyFile = world.server.dataDirectory + "/audit.key"
        // Make it a store from before keys existed: no key file, every hash plain SHA-256.
        try FileManager.default.removeItem(atPath: keyFile)
        let legacyCount = try Self.tamper(world, "legacy")
        let verified = try world.admin(["audit", "--verify", "--json"])
        let result = try JSONDecoder().decode(VerificationView.self, from: Data(verified.stdout.utf8))
        #expect(verified.succeeded && result.intact && !result.keyed, "\(verified.stdout)")
        #expect(!FileManager.default.fileExists(atPath: keyFile), "--verify never makes a key")
        // The first writer makes the key; earlier entries stay plain and still verify.
        try world.server.start()
        #expect(Self.mode(keyFile) == 0o600)
        _ = try alice.newVisit(["purpose=After the key"])
        try alice.sync()
        let after = try JSONDecoder().decode(
            VerificationView.self, from: Data(try world.admin(["audit", "--verify", "--json"]).stdout.utf8))
        #expect(after.intact && after.keyed && after.keyedFrom == Int64(legacyCount + 1))
        let entries = try JSONDecoder().decode([AuditRow].self, from: Data(try world.admin(["audit", "--json"]).stdout.utf8))
        #expect(entries[legacyCount].action == "AUDIT_KEY_CREATED")
        world.server.stop()

        // The key file goes missing: nothing opens the store for writing, and nothing is changed.
        try FileManager.default.moveItem(atPath: keyFile, toPath: keyFile + ".moved")
        let refused = try world.admin(["user", "add", "--name", "eve", "--role", "PA", "--team", "north"])
        #expect(refused.status != 0 && refused.stderr.contains("audit_key_missing"), "\(refused.stdout)\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: keyFile))
        let server = ServerProcess(dataDirectory: world.server.dataDirectory)
        #expect(throws: (any Error).self) { try server.start() }
        #expect(server.log.contains("audit_key_missing") || server.log.contains("is missing"), "\(server.log)")
        let count = try Self.tamper(world, "count")
        #expect(count == entries.count)
        // Pointing --audit-key-file at the moved key works again.
        let moved = try world.admin(["--audit-key-file", keyFile + ".moved", "audit", "--verify"])
        #expect(moved.succeeded && moved.stdout.contains("intact"), "\(moved.stdout)\(moved.stderr)")
    }

    @Test("The server logs an anchor when it starts, which --verify --anchor takes as a file")
    func serverLogsAnchors() throws {
        let world = try TestWorld(startServer: false)
        try world.server.start(extraArguments: ["--log-level", "notice"])
        let line = try #require(world.server.log.split(separator: "\n").first { $0.contains("audit anchor {") })
        let json = try #require(line.range(of: "{").map { line[$0.lowerBound...] })
        let anchor = world.root.appendingPathComponent("logged-anchor.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: anchor))
        _ = try world.device("alice")
        let verified = try world.admin(["audit", "--verify", "--anchor", anchor])
        #expect(verified.succeeded && verified.stdout.contains("agrees with the anchor"), "\(verified.stdout)")
        world.server.stop()
        _ = try Self.tamper(world, "truncate", "100")
        #expect(try world.admin(["audit", "--verify", "--anchor", anchor]).status == 1)
    }

    @Test("--audit-key-file keeps the key away from the data folder")
    func keyOutsideTheDataFolder() throws {
        let world = try TestWorld(startServer: false)
        let keyFile = world.root.appendingPathComponent("secrets/fieldsync-audit.key").path
        try world.server.start(extraArguments: ["--audit-key-file", keyFile])
        #expect(Self.mode(keyFile) == 0o600)
        #expect(Self.mode((keyFile as NSString).deletingLastPathComponent) == 0o700)
        #expect(!FileManager.default.fileExists(atPath: world.server.dataDirectory + "/audit.key"))
        let out = try ProcessRunner.run(
            Binaries.server, ["admin", "--data", world.server.dataDirectory, "audit", "--verify"],
            environment: ["FIELDSYNC_AUDIT_KEY_FILE": keyFile])
        #expect(out.succeeded && out.stdout.contains("intact"), "\(out.stdout)\(out.stderr)")
        // Without the key the keyed entries cannot be checked, and --verify says why.
        let withoutKey = try world.admin(["audit", "--verify"])
        #expect(withoutKey.status == 1 && withoutKey.stdout.contains("audit key file"), "\(withoutKey.stdout)")
    }
}

struct AnchorView: Decodable {
    let entries: Int64
    let head: String
    let takenAt: String
}

struct VerificationView: Decodable {
    struct Anchor: Decodable { let matches: Bool }
    let intact: Bool
    let checked: Int
    let keyed: Bool
    let keyedFrom: Int64?
    let anchor: Anchor?
}
