/// Each figure over all runs: its per-run values and their median, min and max.
struct FigureSummary: Sendable {
    let key: String
    let label: String
    let unit: String
    let decimals: Int
    /// One value per run, nil where a run did not produce it.
    let values: [Double?]

    var present: [Double] { values.compactMap { $0 } }
    var median: Double { Stats.median(present) }
    var min: Double { present.min() ?? 0 }
    var max: Double { present.max() ?? 0 }

    /// Figures in the order they first appear, over all runs.
    static func summarise(_ reports: [RunReport]) -> [FigureSummary] {
        var order: [String] = []
        var first: [String: Figure] = [:]
        for report in reports {
            for figure in report.findings.figures where first[figure.key] == nil {
                order.append(figure.key)
                first[figure.key] = figure
            }
        }
        return order.compactMap { key in
            guard let figure = first[key] else { return nil }
            let values = reports.map { report in report.findings.figures.first { $0.key == key }?.value }
            return FigureSummary(
                key: key, label: figure.label, unit: figure.unit, decimals: figure.decimals, values: values)
        }
    }
}

/// The performance targets, judged on the medians.
struct TargetVerdict: Codable, Sendable {
    let target: String
    let figure: String
    let median: Double
    let met: Bool

    static func judge(_ summaries: [FigureSummary]) -> [TargetVerdict] {
        func median(_ key: String) -> Double? {
            summaries.first { $0.key == key }.flatMap { $0.present.isEmpty ? nil : $0.median }
        }
        var verdicts: [TargetVerdict] = []
        if let rate = median("w1.rate") {
            verdicts.append(TargetVerdict(target: "W1 >= 5,000 records/s", figure: "w1.rate", median: rate, met: rate >= 5_000))
        }
        if let p99 = median("w1.p99") {
            verdicts.append(TargetVerdict(target: "W1 p99 < 250 ms", figure: "w1.p99", median: p99, met: p99 < 250))
        }
        if let http = median("w2.fullHTTP") {
            verdicts.append(TargetVerdict(target: "W2 full pull < 0.5 s (HTTP time)", figure: "w2.fullHTTP", median: http, met: http < 0.5))
        }
        if let wall = median("w2.fullWall") {
            verdicts.append(
                TargetVerdict(
                    target: "W2 full pull < 0.5 s (wall incl. client decoding)", figure: "w2.fullWall", median: wall, met: wall < 0.5))
        }
        if let p99 = median("w5.pullP99") {
            verdicts.append(
                TargetVerdict(target: "W5 pull p99 < 100 ms during the push", figure: "w5.pullP99", median: p99, met: p99 < 100))
        }
        if let ratio = median("w5.rateRatio") {
            verdicts.append(
                TargetVerdict(target: "W5 push with pullers >= 0.8x W1 alone", figure: "w5.rateRatio", median: ratio, met: ratio >= 0.8))
        }
        if let p99 = median("live.p99") {
            verdicts.append(
                TargetVerdict(
                    target: "Live sync: acknowledged push to 100 watchers holding it, p99 < 250 ms", figure: "live.p99", median: p99,
                    met: p99 < 250))
        }
        return verdicts
    }
}
