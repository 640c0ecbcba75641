import Foundation

/// The readable report: a table of every figure per run with median, min and max, then the checks.
enum TextReport {
    static func render(
        plan: RunPlan, runs: Int, reports: [RunReport], start: MachineLoad, end: MachineLoad
    ) -> String {
        var out: [String] = []
        out.append(
            "fieldsync-bench: \(runs) run(s), \(plan.devices) W1 devices, workloads \(Workload.allCases.filter(plan.workloads.contains).map(\.rawValue).joined(separator: ","))"
        )
        out.append("server binary: \(plan.serverBinary); device transport: \(plan.transport.rawValue)")
        out.append("machine at start: \(start.line)")
        out.append("machine at end:   \(end.line)")
        out.append("")

        let summaries = FigureSummary.summarise(reports)
        let labelWidth = max(44, (summaries.map(\.label.count).max() ?? 0) + 1)
        var header = pad("Figure", labelWidth) + pad("unit", 7)
        for report in reports { header += left("run \(report.index)", 11) }
        header += left("median", 11) + left("min", 11) + left("max", 11)
        out.append(header)
        out.append(String(repeating: "-", count: header.count))
        for summary in summaries {
            var line = pad(summary.label, labelWidth) + pad(summary.unit == "count" ? "" : summary.unit, 7)
            for value in summary.values { line += left(value.map { number($0, summary.decimals) } ?? "-", 11) }
            if summary.present.isEmpty {
                line += left("-", 11) + left("-", 11) + left("-", 11)
            } else {
                line +=
                    left(number(summary.median, summary.decimals), 11) + left(number(summary.min, summary.decimals), 11)
                    + left(number(summary.max, summary.decimals), 11)
            }
            out.append(line)
        }
        out.append("")

        out.append("Targets (on the medians):")
        for verdict in TargetVerdict.judge(summaries) {
            out.append("  \(verdict.met ? "met    " : "NOT met") \(verdict.target): median \(number(verdict.median, 3))")
        }
        out.append("")

        out.append("Checks:")
        var names: [String] = []
        for report in reports { for check in report.findings.checks where !names.contains(check.name) { names.append(check.name) } }
        for name in names {
            let results = reports.map { report in report.findings.checks.first { $0.name == name } }
            let marks = results.map { $0.map { $0.passed ? "pass" : "FAIL" } ?? "-" }.joined(separator: " ")
            out.append("  [\(marks)] \(name)")
            for (report, check) in zip(reports, results) {
                if let check, !check.passed || report.index == reports.first?.index {
                    out.append("         run \(report.index): \(check.detail)")
                }
            }
        }
        for report in reports {
            if let error = report.error { out.append("  [FAIL] run \(report.index) stopped: \(error)") }
        }
        var notes: [String] = []
        for report in reports { for note in report.findings.notes where !notes.contains(note) { notes.append(note) } }
        if !notes.isEmpty {
            out.append("")
            out.append("Notes:")
            for note in notes { out.append("  \(note)") }
        }
        out.append("")
        out.append("Other processes using CPU during each run (>= 0.5 s; only those alive at both ends of the run):")
        for report in reports {
            let busy = report.busiest.map { "\($0.command) (pid \($0.pid)): \(number($0.cpuSeconds, 1)) s" }
            out.append("  run \(report.index): \(busy.isEmpty ? "none" : busy.joined(separator: "; "))")
        }
        out.append("")
        let passed = reports.allSatisfy(\.passed)
        out.append(passed ? "RESULT: all checks passed in every run." : "RESULT: FAILED (see the checks above).")
        return out.joined(separator: "\n")
    }

    static func number(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
