import FieldSyncTestSupport
import Foundation
import Testing

/// Server/deploy/ stays true: the command lines in its systemd units run against this build.
@Suite("Deployment files")
struct DeploymentFilesTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Server/deploy")

    /// The unit's `ExecStart=` value, with systemd's `%%` unescaped.
    static func execStart(_ unit: String) throws -> String {
        let text = try String(contentsOf: deploy.appendingPathComponent(unit), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }, "\(unit) has an ExecStart")
        return String(line.dropFirst("ExecStart=".count)).replacingOccurrences(of: "%%", with: "%")
    }

    @Test("fieldsync-server.service's serve command line starts this build's server (data folder and port swapped for the test's)")
    func serviceCommandLine() throws {
        let world = try TestWorld(startServer: false)
        var words = try Self.execStart("fieldsync-server.service").split(separator: " ").map(String.init)
        #expect(words.removeFirst() == "/usr/local/bin/fieldsync-server")
        for (option, value) in [("--data", world.server.dataDirectory), ("--port", "0")] {
            let at = try #require(words.firstIndex(of: option), "\(option) in ExecStart")
            words[at + 1] = value
        }
        #expect(words.first == "serve" && words.contains("--host") && words[words.firstIndex(of: "--host")! + 1] == "127.0.0.1")
        try world.server.start(arguments: words)
        #expect(AuditChainTests.mode(world.server.dataDirectory) == 0o700)
        _ = try world.device("alice")
    }

    @Test("fieldsync-backup.service's command takes a verified backup into a new timestamped folder")
    func backupCommandLine() throws {
        let world = try TestWorld()
        _ = try world.device("alice")
        let backups = world.root.appendingPathComponent("backups").path
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        let command = try Self.execStart("fieldsync-backup.service")
        let shell = try #require(command.range(of: "/bin/sh -c '").map { command[$0.upperBound...].dropLast() }, "\(command)")
        let script = String(shell)
            .replacingOccurrences(of: "/usr/local/bin/fieldsync-server", with: Binaries.server)
            .replacingOccurrences(of: "/var/lib/fieldsync", with: world.server.dataDirectory)
        let out = try ProcessRunner.run("/bin/sh", ["-c", script], environment: ["BACKUPS": backups])
        #expect(out.succeeded && out.stdout.contains("Verified"), "\(out.stdout)\(out.stderr)")
        let made = try FileManager.default.contentsOfDirectory(atPath: backups)
        #expect(made.count == 1 && made[0].range(of: #"^\d{8}T\d{6}$"#, options: .regularExpression) != nil, "\(made)")
        let restored = ServerProcess(dataDirectory: backups + "/" + made[0])
        try restored.start()
        restored.stop()
    }
}
