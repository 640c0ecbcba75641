import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the reconciled records in your scope (settled, no open conflict), and list what is not reconciled yet.",
        discussion: "Run again with --since set to the cursor printed at the end to get only what changed.")
    @OptionGroup var options: DeviceOptions
    @Flag(help: "Only reconciled records (the only export there is; named for clarity).") var reconciled = false
    @Option(help: "The cursor of the last export.") var since: String?
    @Option(help: "Only young people whose key worker is in this team.") var team: String?
    @Option(help: "Only visit or pep.") var kind: RecordKind?
    @Option(help: "json, ndjson or csv.") var format: ExportFormat = .json
    @Option(help: "Write the records here (default: stdout).") var out: String?

    func validate() throws {
        if !reconciled { throw ValidationError("Say --reconciled: the export holds settled records only.") }
    }

    func run() async throws {
        let device = try options.device()
        // Only with --out: on stdout the records themselves may be going to the terminal.
        let progress = TerminalProgress(options: options, enabled: out != nil)
        let summary = try await options.run { () async throws(ClientError) in
            try await device.exportReconciled(since: since, team: team, kind: kind, format: format, output: out, progress: progress.show)
        }
        progress.clear()
        // With the records on stdout, the summary goes to stderr.
        let text =
            ([
                "exported \(summary.records) reconciled record(s); next export: --since \(summary.cursor)"
            ] + summary.notReconciled.map { "not reconciled: \($0.kind) \($0.id) (\($0.state)): \($0.reason)" }
            + summary.unsentOnDevices.map {
                "unsent on a device: \($0.user)'s device \($0.device.prefix(8)) reports \($0.unsent) unsent change(s)"
            })
            .joined(separator: "\n")
        if out == nil {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        } else {
            try options.confirm(summary) { text }
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reports for supervisors.", subcommands: [Compliance.self, Escalations.self])

    struct Compliance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Statutory visits and PEPs per young person in your scope: last qualifying visit, next due, due soon or overdue.")
        @OptionGroup var options: DeviceOptions
        @Option(help: "Only young people whose key worker is in this team.") var team: String?
        @Option(help: "The date to judge by (YYYY-MM-DD, Europe/London; default today).") var asOf: String?

        func run() async throws {
            let device = try options.device()
            let rows = try await options.run { () async throws(ClientError) in try await device.complianceReport(team: team, asOf: asOf) }
            try options.emit(rows) {
                rows.isEmpty
                    ? "No young people in your scope."
                    : rows.map { row in
                        var line = "\(row.youngPerson)  \(row.cohort ?? "?")  key worker \(row.keyWorker ?? "-")\n"
                        line +=
                            "  visits: \(row.visits.status.rawValue)  \(row.visits.rule)  due \(row.visits.due?.description ?? "-")  last \(row.visits.lastQualifyingVisit?.description ?? "none")  \(row.visits.explanation)"
                        if let pep = row.pep {
                            line +=
                                "\n  PEP \(pep.term) \(pep.academicYear): \(pep.status.rawValue)  \(pep.rule)  state \(pep.currentTermState ?? "none")  due \(pep.due?.description ?? "-")  \(pep.explanation)"
                        }
                        return line
                    }.joined(separator: "\n")
            }
        }
    }

    struct Escalations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Risk flags marked escalate on the records this device holds, newest first.")
        @OptionGroup var options: DeviceOptions

        struct Escalation: Codable {
            let record: String
            let youngPerson: String
            let flag: String
            let severity: String?
            let note: String?
            let raisedBy: String
            let updatedAt: String
        }

        func run() throws {
            let device = try options.device()
            let records = try options.run { () throws(ClientError) in try device.records(kind: .visit) }
            let list = records.flatMap { record -> [Escalation] in
                let s = record.snapshot
                return (s.fields["riskFlags"]?.arrayValue ?? []).compactMap(\.objectValue).filter { $0["escalate"] == .bool(true) }.map {
                    Escalation(
                        record: s.id.uuidString.lowercased(), youngPerson: s.youngPerson.uuidString.lowercased(),
                        flag: $0["flag"]?.stringValue ?? "OTHER", severity: $0["severity"]?.stringValue, note: $0["note"]?.stringValue,
                        raisedBy: s.updatedBy, updatedAt: s.updatedAt)
                }
            }.sorted { $0.updatedAt > $1.updatedAt }
            try options.emit(list) {
                list.isEmpty
                    ? "No escalated risks."
                    : list.map {
                        "\($0.severity ?? "?")  \($0.flag)  young person \($0.youngPerson)  record \($0.record)  \($0.note ?? "")"
                    }.joined(separator: "\n")
            }
        }
    }
}
