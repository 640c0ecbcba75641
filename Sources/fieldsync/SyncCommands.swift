import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

struct Enrol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enrol this device with the code your admin gave you.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "The server address, e.g. http://127.0.0.1:8787") var server: String
    @Option(help: "The one-time enrolment code.") var code: String
    @Option(help: "A name for this device.") var name: String?

    func run() async throws {
        let device = try options.device(create: true)
        let result = try await options.run { () async throws(ClientError) in
            try await device.enrol(server: server, code: code, deviceName: name ?? ProcessInfo.processInfo.hostName)
        }
        try options.confirm(result) { "Enrolled as device \(result.device) for \(result.user) (\(result.role), team \(result.team))." }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send unsent changes, then receive everything new. With the server down it says so and keeps everything.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "Records per page when receiving.") var pageSize = WireProtocol.defaultPageSize

    func validate() throws {
        guard (1...WireProtocol.maxPageSize).contains(pageSize) else {
            throw ValidationError("--page-size must be from 1 to \(WireProtocol.maxPageSize).")
        }
    }

    func run() async throws {
        let device = try options.device()
        let showProgress = !options.json && !options.quiet && isatty(STDERR_FILENO) == 1
        let report = try await options.run { () async throws(ClientError) in
            try await device.sync(pageSize: pageSize) { progress in
                if showProgress {
                    FileHandle.standardError.write(Data("\r\(progress.phase) \(progress.done)…".utf8))
                }
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        try SyncOutput.print(report, options: options)
        let status = ExitStatus.of(report)
        if status != .done { throw status.exitCode }
    }
}

/// How `sync` and `retire` report a sync: the counts on stdout, and a sync that could not reach
/// the server or found the device revoked said on stderr too (with its exit code, 75 or 77).
enum SyncOutput {
    static func print(_ report: SyncReport, options: DeviceOptions, done: String? = nil) throws {
        if !options.json, let message = report.message, report.wiped || !report.reachable {
            let code = report.wiped ? "device_revoked" : ClientError.serverUnreachableCode
            FileHandle.standardError.write(Data("fieldsync: \(message) [\(code)]\n".utf8))
            if report.wiped { return }
        }
        try options.confirm(report) {
            var lines: [String] = []
            if let done, report.reachable { lines.append(done) }
            lines.append(counts(report))
            for refusal in report.refusals {
                lines.append(
                    "refused: \(refusal.operation.op.rawValue) of \(refusal.record.uuidString.lowercased()): \(refusal.message ?? "") [\(refusal.code ?? "")]"
                )
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension SyncOutput {
    /// A sync's counts on one line.
    static func counts(_ report: SyncReport) -> String {
        "sent \(report.sent), applied \(report.applied), merged \(report.merged), conflicts \(report.conflicted), refused \(report.refused), received \(report.received), unsent \(report.unsent)"
            + (report.removed > 0 ? ", removed \(report.removed) (moved to another worker)" : "")
    }
}

struct Retire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand this device back: send everything, retire it on the server, erase the local store.")
    @OptionGroup var options: DeviceOptions
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        let device = try options.device()
        if !yes {
            let status = try options.run { () throws(ClientError) in try device.status() }
            FileHandle.standardError.write(
                Data(
                    "Retire device \(status.device ?? "?") of \(status.user ?? "?")? Its local store will be erased after a last sync. Type yes to go on: "
                        .utf8))
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                throw options.fail(
                    ClientError("not_confirmed", "Not retired: nothing was changed. Answer yes, or run: fieldsync retire --yes"))
            }
        }
        let report = try await options.run { () async throws(ClientError) in try await device.retire() }
        try SyncOutput.print(
            report, options: options, done: "Sent \(report.sent) change(s); the device is retired and its local store erased.")
        let status = ExitStatus.of(report)
        if status != .done { throw status.exitCode }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unsent changes, last sync, cursor.")
    @OptionGroup var options: DeviceOptions

    func run() throws {
        let device = try options.device()
        let status = try options.run { () throws(ClientError) in try device.status() }
        try options.emit(status) {
            guard let deviceId = status.device else { return "Not enrolled. Run: fieldsync enrol --server URL --code CODE" }
            return """
                device \(deviceId) of \(status.user ?? "?") (\(status.role ?? "?"), team \(status.team ?? "?")) on \(status.server ?? "?")
                unsent \(status.unsent)\(status.oldestUnsent.map { ", oldest made \($0)" } ?? "")
                last sync \(status.lastSync ?? "never"), cursor \(status.cursor ?? "-")
                records \(status.records), open conflicts \(status.openConflicts), refusals \(status.refusals)
                """
        }
    }
}

struct Verdicts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The server's verdicts on what this device sent (--rejected: refusals only).")
    @OptionGroup var options: DeviceOptions
    @Flag(help: "Only refusals.") var rejected = false
    @Option(help: "Only this record (id or unique prefix).") var record: String?

    func run() throws {
        let device = try options.device()
        let list = try options.run { () throws(ClientError) in
            var id: UUID?
            if let record { id = try device.findRecord(record).snapshot.id }
            return try device.verdicts(rejectedOnly: rejected, record: id)
        }
        try options.emit(list) {
            list.isEmpty
                ? "No verdicts."
                : list.map { v in
                    "\(v.receivedAt)  \(v.outcome.rawValue)  \(v.operation.op.rawValue) \(v.record.uuidString.lowercased())\(v.message.map { ": \($0)" } ?? "")\(v.code.map { " [\($0)]" } ?? "")"
                }.joined(separator: "\n")
        }
    }
}
