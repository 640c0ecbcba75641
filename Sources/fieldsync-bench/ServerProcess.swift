import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `fieldsync-server serve` process on a free loopback port and its own data folder.
///
/// Its output goes to files (a pipe nobody reads can fill and stall the server). It is stopped
/// by its pid: SIGTERM, then SIGKILL if it has not exited after a grace period.
final class ServerProcess: @unchecked Sendable {
    let binary: String
    let dataDirectory: String
    let outputURL: URL
    let errorURL: URL
    private let process = Process()
    private(set) var port = 0
    /// More `serve` options (e.g. `--read-audit strict`).
    var extraArguments: [String] = []

    /// Only loopback: the benchmark never talks to another address.
    static let host = "127.0.0.1"

    var baseURL: URL { URL(string: "http://\(Self.host):\(port)")! }
    var pid: Int32 { process.processIdentifier }

    init(binary: String, dataDirectory: String, logDirectory: String) {
        self.binary = binary
        self.dataDirectory = dataDirectory
        outputURL = URL(fileURLWithPath: logDirectory).appendingPathComponent("server.out")
        errorURL = URL(fileURLWithPath: logDirectory).appendingPathComponent("server.err")
    }

    /// Starts the server on port 0 and waits (at most `timeout`) for its "listening on" line.
    func start(timeout: TimeInterval = 60) throws {
        guard FileManager.default.createFile(atPath: outputURL.path, contents: nil),
            FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        else { throw BenchError("Cannot create the server's log files beside \(dataDirectory).") }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data", dataDirectory, "--host", Self.host, "--port", "0"] + extraArguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw BenchError("Cannot start \(binary): \(error)") }
        let pattern = #"listening on http://127\.0\.0\.1:([0-9]+) "#
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            if let range = text.range(of: pattern, options: .regularExpression) {
                let digits = text[range].dropFirst("listening on http://127.0.0.1:".count).dropLast()
                guard let port = Int(digits), (1...65535).contains(port) else {
                    throw BenchError("The server printed an unusable port: \(text[range])")
                }
                self.port = port
                return
            }
            if !process.isRunning {
                throw BenchError("fieldsync-server exited with status \(process.terminationStatus) before listening: \(errorTail())")
            }
            usleep(20_000)
        }
        stop()
        throw BenchError("fieldsync-server did not say it was listening within \(Int(timeout)) s: \(errorTail())")
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM by pid, then SIGKILL after `grace` seconds. Safe to call more than once.
    func stop(grace: TimeInterval = 10) {
        guard process.processIdentifier > 0, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The last lines the server wrote to stderr and stdout, for error messages.
    func errorTail() -> String {
        let err = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        let out = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return String((out + err).suffix(1_500))
    }
}
