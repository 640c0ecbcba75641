import Foundation

/// A `fieldsync-server serve` process on a free loopback port, on its own data folder.
/// Stopped by its pid; a test that forgets to stop it still has it killed on deinit.
public final class ServerProcess: @unchecked Sendable {
    public let dataDirectory: String
    public private(set) var process: Process?
    public private(set) var port: Int = 0
    private var logURL: URL

    public var url: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32 { process?.processIdentifier ?? 0 }

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
        self.logURL = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().appendingPathComponent(
            "server-\(UUID().uuidString).log")
    }

    /// Starts the server on port 0 (or `port`), and waits until it prints the port it listens on.
    /// `arguments`, when given, replaces the whole command line (a deployment file's, say).
    public func start(port requested: Int = 0, extraArguments: [String] = [], arguments: [String]? = nil) throws {
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.server)
        process.arguments =
            arguments ?? ["serve", "--data", dataDirectory, "--port", String(requested), "--log-level", "warning"] + extraArguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let match = text[range]
                port = Int(match.split(separator: ":").last ?? "") ?? 0
                return
            }
            if !process.isRunning { throw ProcessRunnerError.launch("fieldsync-server exited: \(text)") }
            usleep(20_000)
        }
        stop()
        throw ProcessRunnerError.timedOut("fieldsync-server did not start")
    }

    /// Graceful stop (SIGTERM), then SIGKILL after a few seconds.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Power-cut style stop: SIGKILL, no chance to flush anything.
    public func killHard() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit { stop() }
}
