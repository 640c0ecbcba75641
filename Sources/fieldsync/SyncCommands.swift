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
        try options.emit(result) { "Enrolled as device \(result.device) for \(result.user) (\(result.role), team \(result.team))." }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send unsent changes, then receive everything new. With the server down it says so and keeps everything.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "Records per page when receiving.") var pageSize = WireProtocol.defaultPageSize

    func validate() throws {
        guard (1...WireProtocol.maxPageSize).contains(pageSize) else { throw ValidationError("--page-size must be from 1 to \(WireProtocol.maxPageSize).") }
    }

    func run() async throws {
        let device = try options.device()
        let showProgress = !options.json && isatty(STDERR_FILENO) == 1
        let report = try await options.run { () async throws(ClientError) in
            try await device.sync(pageSize: pageSize) { progress in
                if showProgress {
                    FileHandle.standardError.write(Data("\r\(progress.phase) \(progress.done)…".utf8))
                }
            }
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        try options.emit(report) {
            var lines: [String] = []
            if report.wiped { return report.message ?? "This device was revoked; its local store has been erased." }
            if !report.reachable { lines.append(report.message ?? "The server could not be reached.") }
            lines.append(
                "sent \(report.sent), applied \(report.applied), merged \(report.merged), conflicts \(report.conflicted), refused \(report.refused), received \(report.received), unsent \(report.unsent)"
                    + (report.removed > 0 ? ", removed \(report.removed) (moved to another worker)" : "")
            )
            for refusal in report.refusals {
                lines.append("refused: \(refusal.operation.op.rawValue) of \(refusal.record.uuidString.lowercased()): \(refusal.message ?? "") [\(refusal.code ?? "")]")
            }
            return lines.joined(separator: "\n")
        }
    }
}

struct Retire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand this device back: send everything, retire it on the server, erase the local store.")
    @OptionGroup var options: DeviceOptions

    func run() async throws {
        let device = try options.device()
        let report = try await options.run { () async throws(ClientError) in try await device.retire() }
        try options.emit(report) {
            report.wiped ? (report.message ?? "This device was revoked; its local store has been erased.")
                : "Sent \(report.sent) change(s); the device is retired and its local store erased."
        }
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
            list.isEmpty ? "No verdicts." : list.map { v in
                "\(v.receivedAt)  \(v.outcome.rawValue)  \(v.operation.op.rawValue) \(v.record.uuidString.lowercased())\(v.message.map { ": \($0)" } ?? "")\(v.code.map { " [\($0)]" } ?? "")"
            }.joined(separator: "\n")
        }
    }
}
