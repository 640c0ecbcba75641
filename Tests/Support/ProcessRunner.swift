import Foundation

/// What a finished command printed and how it exited.
public struct CommandOutput: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    public var succeeded: Bool { status == 0 }
}

/// A test's setup went wrong (a command failed, a process did not start): said as a sentence.
public struct WorldError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum ProcessRunnerError: Error, CustomStringConvertible {
    case timedOut(String)
    case launch(String)
    public var description: String {
        switch self {
        case .timedOut(let what): "timed out: \(what)"
        case .launch(let what): "could not launch: \(what)"
        }
    }
}

/// Runs a command to completion with a time limit, capturing its output through files (a pipe
/// can fill and stall a chatty child).
public enum ProcessRunner {
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> CommandOutput {
        try start(executable, arguments, stdin: stdin, environment: environment).wait(timeout: timeout)
    }

    /// Starts a command and returns at once (a `fieldsync watch` that runs beside the test).
    public static func start(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]
    ) throws -> RunningCommand {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fs-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let inPipe = Pipe()
        process.standardInput = inPipe
        do { try process.run() } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw ProcessRunnerError.launch("\(executable): \(error)")
        }
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        return RunningCommand(
            process: process, description: "\(executable) \(arguments.joined(separator: " "))", scratch: scratch,
            handles: [outHandle, errHandle])
    }
}

/// A started command: its output so far, a signal, and its end. Killed (SIGKILL) and cleaned up
/// on deinit if the test did not wait for it.
public final class RunningCommand: @unchecked Sendable {
    private let process: Process
    private let description: String
    private let scratch: URL
    private let handles: [FileHandle]

    init(process: Process, description: String, scratch: URL, handles: [FileHandle]) {
        self.process = process
        self.description = description
        self.scratch = scratch
        self.handles = handles
    }

    public var isRunning: Bool { process.isRunning }
    public var stdout: String { (try? String(contentsOf: scratch.appendingPathComponent("out"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: scratch.appendingPathComponent("err"), encoding: .utf8)) ?? "" }

    public func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Waits for the command to end (SIGKILL and a throw past `timeout`) and returns what it printed.
    public func wait(timeout: TimeInterval) throws -> CommandOutput {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ProcessRunnerError.timedOut(description)
        }
        process.waitUntilExit()
        for handle in handles { try? handle.close() }
        return CommandOutput(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: scratch)
    }
}
