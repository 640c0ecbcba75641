import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

struct Enrol: AsyncParsableCommand {
    /// This machine's name for the device's default name: `gethostname`, never a DNS lookup
    /// (`ProcessInfo.hostName` resolves the name on Linux, which can block with no network).
    static var hostName: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    static let configuration = CommandConfiguration(abstract: "Enrol this device with the code your admin gave you.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "The server address, e.g. http://127.0.0.1:8787") var server: String
    @Option(help: "The one-time enrolment code.") var code: String
    @Option(help: "A name for this device.") var name: String?

    func run() async throws {
        let device = try options.device(create: true)
        let result = try await options.run { () async throws(ClientError) in
            try await device.enrol(server: server, code: code, deviceName: name ?? Self.hostName)
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
        let progress = TerminalProgress(options: options)
        let report = try await options.run { () async throws(ClientError) in
            try await device.sync(pageSize: pageSize, progress: progress.show)
        }
        progress.clear()
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
            if let message = report.viewsMessage { lines.append(message) }
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
            + (report.released > 0 ? ", released \(report.released) (authorised or finalised; fetched again by fieldsync show)" : "")
            + (report.viewsUploaded > 0 ? ", views sent to the audit trail \(report.viewsUploaded)" : "")
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
    static let configuration = CommandConfiguration(abstract: "Unsent changes, last sync, cursor, and the time left on the offline lease.")
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
                records \(status.records)\(status.onServerOnly > 0 ? " (and \(status.onServerOnly) on the server only)" : ""), open conflicts \(status.openConflicts), refusals \(status.refusals)
                \(OfflineText.describe(status.offline))
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
            if let record { id = try device.resolveRecord(record).snapshot.id }
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
