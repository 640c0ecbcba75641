import FieldSyncProtocol
import Foundation

/// The `--json` report: one document with the configuration, the machine load, every run's
/// figures and checks, and each figure's median, min and max over the runs.
struct JSONReport: Encodable {
    struct Configuration: Encodable {
        let runs: Int
        let devices: Int
        let workloads: [String]
        let serverBinary: String
        let transport: String
    }

    struct Run: Encodable {
        let run: Int
        let passed: Bool
        let error: String?
        let figures: [String: Double]
        let checks: [Check]
        let notes: [String]
        let otherBusyProcesses: [ProcessCensus.Entry]
    }

    struct Summary: Encodable {
        let label: String
        let unit: String
        let median: Double
        let min: Double
        let max: Double
        let values: [Double?]
    }

    let tool = "fieldsync-bench"
    let configuration: Configuration
    let machineAtStart: MachineLoad
    let machineAtEnd: MachineLoad
    let runs: [Run]
    let summary: [String: Summary]
    let targets: [TargetVerdict]
    let passed: Bool

    init(plan: RunPlan, runs: Int, reports: [RunReport], start: MachineLoad, end: MachineLoad) {
        configuration = Configuration(
            runs: runs, devices: plan.devices,
            workloads: Workload.allCases.filter(plan.workloads.contains).map(\.rawValue), serverBinary: plan.serverBinary,
            transport: plan.transport.rawValue)
        machineAtStart = start
        machineAtEnd = end
        self.runs = reports.map { report in
            Run(
                run: report.index, passed: report.passed, error: report.error,
                figures: Dictionary(report.findings.figures.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }),
                checks: report.findings.checks, notes: report.findings.notes, otherBusyProcesses: report.busiest)
        }
        let summaries = FigureSummary.summarise(reports)
        summary = Dictionary(
            summaries.map { s in
                (s.key, Summary(label: s.label, unit: s.unit, median: s.median, min: s.min, max: s.max, values: s.values))
            }, uniquingKeysWith: { _, last in last })
        targets = TargetVerdict.judge(summaries)
        passed = reports.allSatisfy(\.passed)
    }

    func encoded() throws -> String {
        let encoder = WireProtocol.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
