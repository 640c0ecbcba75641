import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// `serve`'s settings from a configuration file and FIELDSYNC_* variables (issue 12 item 5), and
/// `config check`: a flag wins over the environment, the environment over the file.
@Suite("Server configuration: file, environment, flags")
struct ServeConfigurationTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("fieldsync-config-\(UUID().uuidString)")

    func write(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func check(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandOutput {
        try ProcessRunner.run(Binaries.server, ["config", "check"] + arguments, environment: environment)
    }

    @Test("A server started with only --config FILE serves the data folder the file names")
    func serveFromFile() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("from-file").path
        let file = try write("fieldsync.conf", "# FieldSync\ndata = \(data)\nport = 0   # any free port\nlog-level = warning\n")
        let server = ServerProcess(dataDirectory: data)
        try server.start(arguments: ["serve", "--config", file])
        defer { server.stop() }
        let health = try await WireClient(server: server.url).send("GET", "/healthz")
        #expect(health.status == 200)
        #expect(FileManager.default.fileExists(atPath: data + "/fieldsync.sqlite"), "the store was made where the file said")
    }

    @Test("config check shows each setting's value and origin: flag over environment over file")
    func precedence() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let file = try write("fieldsync.conf", "data = /srv/fieldsync\nlog-level = debug\nread-audit = strict\nidle-timeout-seconds = 30\n")
        let environment = ["FIELDSYNC_LOG_LEVEL": "warning", "FIELDSYNC_READ_AUDIT": "deferred"]
        let out = try check(["--config", file, "--read-audit", "strict"], environment: environment)
        #expect(out.succeeded, "\(out.stderr)")
        let lines = Set(out.stdout.split(separator: "\n").map(String.init))
        #expect(lines.contains("data = /srv/fieldsync\t(\(file):1)"))
        #expect(lines.contains("log-level = warning\t(environment FIELDSYNC_LOG_LEVEL)"), "the environment over the file")
        #expect(lines.contains("read-audit = strict\t(command line)"), "a flag over the environment")
        #expect(lines.contains("idle-timeout-seconds = 30\t(\(file):4)"))
        // The same through $FIELDSYNC_CONFIG instead of --config.
        let viaVariable = try check([], environment: ["FIELDSYNC_CONFIG": file])
        #expect(viaVariable.succeeded && viaVariable.stdout.contains("log-level = debug\t(\(file):2)"))
    }

    @Test("Wrong settings are refused with a code and a sentence naming the line or the setting; serve starts nothing")
    func refusals() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let unknown = try write("unknown.conf", "data = /tmp/x\nprot = 8787\n")
        let out = try check(["--config", unknown])
        #expect(
            out.status == 1 && out.stderr.contains("\(unknown):2: 'prot' is not a serve setting") && out.stderr.contains("[config_invalid]")
        )
        let twice = try write("twice.conf", "port = 1\nport = 2\n")
        #expect(try check(["--config", twice]).stderr.contains("'port' is set twice (first on line 1)"))
        let badValue = try write("bad.conf", "data = /tmp/x\nport = 70000\n")
        let bad = try check(["--config", badValue])
        #expect(bad.status == 1 && bad.stderr.contains("--port must be from 0 to 65535"), "\(bad.stderr)")
        #expect(try check(["--config", root.appendingPathComponent("missing.conf").path]).stderr.contains("[config_unreadable]"))

        let data = root.appendingPathComponent("never-made").path
        let refused = try ProcessRunner.run(
            Binaries.server, ["serve", "--config", unknown, "--data", data, "--port", "0"], timeout: 30)
        #expect(refused.status == 1 && refused.stderr.contains("'prot' is not a serve setting"))
        #expect(!FileManager.default.fileExists(atPath: data), "nothing was made")
    }

    @Test("Every serve option can be set from a file")
    func everyOptionIsASetting() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let help = try ProcessRunner.run(Binaries.server, ["serve", "--help"]).stdout
        let options = Set(
            help.matches(of: /--([a-z][a-z0-9-]+)/).map { String($0.output.1) }.filter { !["help", "version", "config"].contains($0) })
        #expect(options.count >= 10, "\(options)")
        for option in options.sorted() {
            let file = try write("\(option).conf", "\(option) = 1\n")
            let out = try check(["--config", file])
            #expect(!out.stderr.contains("is not a serve setting"), "\(option): \(out.stderr)")
            #expect(out.stdout.contains("\(option) = 1\t(\(file):1)"), "\(option): \(out.stdout)")
        }
    }
}
