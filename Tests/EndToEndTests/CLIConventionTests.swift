import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// `fieldsync` as a new user tries it: documented exit codes, options in either place, one
/// spelling of ids, a field list, an escape for a literal `@`, a confirmation before retiring.
@Suite("fieldsync command-line conventions")
struct CLIConventionTests {
    @Test("Each exit code: 0 done, 1 refused, 2 usage, 75 server unreachable, 77 revoked and wiped")
    func exitCodes() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=Kept while the server is down"])
        #expect(try alice.run(["status"]).status == 0)

        let missing = try alice.run(["show", "00000000-0000-0000-0000-000000000000"])
        #expect(missing.status == 1 && missing.stderr.contains("[record_not_found]"), "\(missing.stderr)")
        let usage = try alice.run(["sync", "--no-such-option"])
        #expect(usage.status == 2 && usage.stderr.contains("--no-such-option"), "\(usage.status) \(usage.stderr)")
        let badValue = try alice.run(["sync", "--page-size", "0"])
        #expect(badValue.status == 2, "\(badValue.stderr)")

        let port = world.server.port
        world.server.stop()
        let offline = try alice.run(["sync"])
        #expect(offline.status == 75 && offline.stderr.contains("Cannot reach the server"), "\(offline.status) \(offline.stderr)")
        let offlineHistory = try alice.run(["history", id.uuidString])
        #expect(offlineHistory.status == 75 && offlineHistory.stderr.contains("[server_unreachable]"), "\(offlineHistory.stderr)")
        #expect(try alice.status().unsent == 1, "everything kept")

        try world.server.start(port: port)
        #expect(try alice.run(["sync"]).status == 0)
        let deviceId = try #require(try alice.json(DeviceIdView.self, ["status"]).device)
        #expect(try world.admin(["device", "revoke", "--device", deviceId]).succeeded)
        let revoked = try alice.run(["sync"])
        #expect(revoked.status == 77 && revoked.stderr.contains("erased"), "\(revoked.status) \(revoked.stderr)")
        #expect(try alice.json(DeviceIdView.self, ["status"]).device == nil, "the store was wiped")
    }

    @Test("--store, --json and --quiet work before the subcommand as after it")
    func globalOptionsBeforeTheSubcommand() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=Options first"])
        let environment = ["FIELDSYNC_KEY_DIR": alice.keyDirectory]
        let first = try ProcessRunner.run(
            Binaries.client, ["--store", alice.store, "--json", "show", id.uuidString], environment: environment)
        #expect(first.succeeded, "\(first.stderr)")
        let shown = try JSONDecoder().decode(LocalRecordView.self, from: Data(first.stdout.utf8))
        #expect(shown.snapshot.id == id)
        let quiet = try ProcessRunner.run(
            Binaries.client, ["--quiet", "--store=\(alice.store)", "set", id.uuidString, "purpose=Quietly"], environment: environment)
        #expect(quiet.succeeded && quiet.stdout.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        let loud = try alice.run(["set", id.uuidString, "purpose=Loudly"])
        #expect(loud.stdout.contains("Saved on this device"))
        let nested = try ProcessRunner.run(
            Binaries.client, ["--json", "--store", alice.store, "visit", "new", "--young-person", world.youngPerson.uuidString],
            environment: environment)
        #expect(nested.succeeded, "\(nested.stderr)")
        let synced = try ProcessRunner.run(Binaries.client, ["--store", alice.store, "-q", "sync"], environment: environment)
        #expect(synced.succeeded && synced.stdout.isEmpty, "\(synced.stdout)\(synced.stderr)")
    }

    @Test("Ids are lower case in --json as in text")
    func lowerCaseIdsInJSON() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=Lower case"])
        try alice.sync()
        let upper = try NSRegularExpression(pattern: "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
        for command in [["show", id.uuidString], ["list"], ["status"], ["verdicts"], ["history", id.uuidString], ["sync"]] {
            let out = try alice.run(command + ["--json"])
            #expect(out.succeeded, "\(command): \(out.stderr)")
            let text = out.stdout
            let hasUpper = upper.matches(in: text, range: NSRange(text.startIndex..., in: text)).contains { match in
                (Range(match.range, in: text).map { text[$0] } ?? "").contains { $0.isUppercase }
            }
            #expect(!hasUpper, "\(command) --json printed an upper-case id: \(text.prefix(300))")
        }
        #expect(try alice.run(["show", id.uuidString, "--json"]).stdout.contains(id.uuidString.lowercased()))
    }

    @Test("fieldsync fields lists every field with its kind and allowed values; help set points there")
    func fieldsOutput() throws {
        let visit = try ProcessRunner.run(Binaries.client, ["fields", "visit"])
        #expect(visit.succeeded, "\(visit.stderr)")
        for name in RecordKind.visit.schema.fieldOrder { #expect(visit.stdout.contains("  \(name)  ["), "visit field \(name) listed") }
        #expect(visit.stdout.contains("one of FACE_TO_FACE, VIDEO, PHONE, MESSAGE"), "\(visit.stdout.prefix(600))")
        #expect(!visit.stdout.contains("pep fields"))
        let both = try ProcessRunner.run(Binaries.client, ["fields", "--json"])
        struct Field: Decodable {
            let record: String
            let name: String
            let kind: String
            let allowed: String
        }
        let fields = try JSONDecoder().decode([Field].self, from: Data(both.stdout.utf8))
        #expect(fields.filter { $0.record == "pep" }.count == RecordKind.pep.schema.fieldOrder.count)
        #expect(fields.filter { $0.record == "visit" }.count == RecordKind.visit.schema.fieldOrder.count)
        #expect(fields.allSatisfy { !$0.kind.isEmpty && !$0.allowed.isEmpty })
        let help = try ProcessRunner.run(Binaries.client, ["help", "set"])
        #expect(help.stdout.contains("fieldsync fields"), "\(help.stdout)")
        let helpFields = try ProcessRunner.run(Binaries.client, ["help", "fields"])
        #expect(helpFields.stdout.contains("USAGE: fieldsync fields"), "\(helpFields.stdout)")
    }

    @Test("A value written @@text is the literal text @text; @path still reads a file")
    func literalAtSign() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let id = try alice.newVisit(["purpose=@@home visit"])
        #expect(try alice.show(id).fields["purpose"] == .string("@home visit"))
        let missing = try alice.run(["set", id.uuidString, "purpose=@no-such-file"])
        #expect(missing.status == 1 && missing.stderr.contains("@@"), "\(missing.stderr)")
    }

    @Test("retire asks first: anything but yes changes nothing; --yes does not ask")
    func retireAsks() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=Not yet handed back"])
        let declined = try alice.run(["retire"], stdin: "no\n")
        #expect(
            declined.status == 1 && declined.stderr.contains("Type yes") && declined.stderr.contains("[not_confirmed]"),
            "\(declined.stderr)")
        #expect(try alice.status().unsent == 1, "nothing sent, nothing erased")
        let confirmed = try alice.run(["retire"], stdin: "yes\n")
        #expect(confirmed.succeeded, "\(confirmed.stderr)")
        #expect(try alice.json(DeviceIdView.self, ["status"]).device == nil)
    }

    @Test("Shell completions for bash, zsh and fish name the commands")
    func completions() throws {
        for shell in ["bash", "zsh", "fish"] {
            let out = try ProcessRunner.run(Binaries.client, ["--generate-completion-script", shell])
            #expect(out.succeeded && out.stdout.contains("sync") && out.stdout.contains("conflicts"), "\(shell): \(out.stderr)")
            let server = try ProcessRunner.run(Binaries.server, ["--generate-completion-script", shell])
            #expect(server.succeeded && server.stdout.contains("manifest"), "\(shell): \(server.stderr)")
        }
    }

    @Test("A sync shows a progress bar on a terminal, and none in a pipe")
    func progressOnATerminalOnly() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        for n in 1...3 { _ = try alice.newVisit(["purpose=Visit \(n)"]) }
        // `script` runs the sync on a pseudo-terminal, as a person at a terminal would.
        let command = [Binaries.client, "sync", "--store", alice.store].map { "'\($0)'" }.joined(separator: " ")
        let onTerminal = try ProcessRunner.run(
            "/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], environment: ["FIELDSYNC_KEY_DIR": alice.keyDirectory])
        #expect(onTerminal.succeeded, "\(onTerminal.stdout)\(onTerminal.stderr)")
        #expect(onTerminal.stdout.contains("sent [") && onTerminal.stdout.contains("] 3/3"), "\(onTerminal.stdout)")
        for n in 4...5 { _ = try alice.newVisit(["purpose=Visit \(n)"]) }
        let inPipe = try alice.run(["sync"])
        #expect(inPipe.succeeded && !inPipe.stderr.contains("sent [") && !inPipe.stdout.contains("sent ["), "\(inPipe.stderr)")
        #expect(inPipe.stdout.contains("sent 2"))
    }

    @Test("conflicts --team says when this device last synced")
    func teamConflictsSayHowFresh() throws {
        let world = try TestWorld()
        let manager = try world.device("maria", role: "TM", team: "north", shared: false)
        let never = try manager.run(["conflicts", "--team"])
        #expect(never.succeeded && never.stdout.contains("last sync (never)"), "\(never.stdout)")
        try manager.sync()
        let lastSync = try #require(try manager.status().lastSync)
        let after = try manager.run(["conflicts", "--team"])
        #expect(after.stdout.contains("last sync (\(lastSync))"), "\(after.stdout)")
    }
}

struct DeviceIdView: Decodable {
    let device: String?
}
