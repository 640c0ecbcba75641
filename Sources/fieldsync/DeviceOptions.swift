import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

/// Options every `fieldsync` command takes, before or after the subcommand (``GlobalOptionOrder``).
struct DeviceOptions: ParsableArguments {
    @Option(help: "The device's local store (default: $FIELDSYNC_STORE, else ~/.fieldsync/device.sqlite).")
    var store: String?

    @Flag(help: "Print one JSON document on stdout instead of text.")
    var json = false

    @Flag(name: [.customShort("q"), .long], help: "Print nothing on success but what was asked for; errors still go to stderr.")
    var quiet = false

    var storePath: String {
        if let store { return store }
        if let env = ProcessInfo.processInfo.environment["FIELDSYNC_STORE"], !env.isEmpty { return env }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".fieldsync/device.sqlite")
    }

    /// How long the server may stay silent before a request counts as unreachable:
    /// `$FIELDSYNC_TIMEOUT` seconds (fractions allowed), else 30.
    var requestTimeout: Duration {
        guard let text = ProcessInfo.processInfo.environment["FIELDSYNC_TIMEOUT"], let seconds = Double(text), seconds > 0, seconds <= 3600
        else { return .seconds(30) }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// Whether edits the server would refuse for the user's role or the record's state are refused
    /// here first: yes, unless `$FIELDSYNC_LOCAL_CHECKS` is `off` (to test a server's own checks).
    var checksRulesLocally: Bool { ProcessInfo.processInfo.environment["FIELDSYNC_LOCAL_CHECKS"] != "off" }

    /// The device's store. Only enrolment makes a new one: any other command on a path with no
    /// store says so instead of starting an empty one.
    func device(create: Bool = false) throws -> FieldSyncDevice {
        do {
            return try FieldSyncDevice(
                storePath: storePath, createStore: create, requestTimeout: requestTimeout, checksRulesLocally: checksRulesLocally)
        } catch {
            throw fail(error)
        }
    }

    /// Prints a result: JSON when --json, else the text.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        if json {
            print(try CLIJSON.encode(value))
        } else {
            print(text())
        }
    }

    /// Prints a confirmation that something was done: JSON when --json, nothing when --quiet.
    func confirm<T: Encodable>(_ value: T, text: () -> String) throws {
        if json || !quiet { try emit(value, text: text) }
    }

    /// Reports a client error (as JSON with --json) and gives the exit to throw.
    func fail(_ error: ClientError) -> ExitCode {
        if json {
            if let text = try? CLIJSON.encode(["error": error]) { print(text) }
        } else {
            FileHandle.standardError.write(Data("fieldsync: \(error.message) [\(error.code)]\n".utf8))
        }
        return ExitStatus.of(error).exitCode
    }

    /// Runs a client action, turning its typed error into a clear report and its exit code.
    func run<T>(_ body: () throws(ClientError) -> T) throws -> T {
        do { return try body() } catch { throw fail(error) }
    }

    func run<T>(_ body: () async throws(ClientError) -> T) async throws -> T {
        do { return try await body() } catch { throw fail(error) }
    }
}

/// Reads `@path` and `@-` values.
func readInput(_ source: String) throws -> String {
    if source == "-" {
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }
    return try String(contentsOfFile: source, encoding: .utf8)
}

func parseUUID(_ text: String, what: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else {
        throw ValidationError("\(what) must be a UUID, e.g. \(UUID().uuidString.lowercased()); '\(text)' is not.")
    }
    return id
}
