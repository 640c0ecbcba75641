/// One measured figure of one run, e.g. W1's records per second.
struct Figure: Sendable {
    let key: String
    let label: String
    let unit: String
    let value: Double
    /// Digits after the point when printed.
    let decimals: Int
}

/// One verification of one run: passed or not, with what was seen.
struct Check: Codable, Sendable {
    let name: String
    let passed: Bool
    let detail: String
}

/// The figures and checks a workload (or a whole run) produced, in the order they were added.
struct Findings: Sendable {
    private(set) var figures: [Figure] = []
    private(set) var checks: [Check] = []
    /// Observations that are neither figures nor pass/fail checks.
    private(set) var notes: [String] = []

    mutating func add(_ key: String, _ label: String, _ unit: String, _ value: Double, decimals: Int = 3) {
        figures.append(Figure(key: key, label: label, unit: unit, value: value, decimals: decimals))
    }

    mutating func add(_ key: String, _ label: String, _ value: Int) {
        add(key, label, "count", Double(value), decimals: 0)
    }

    mutating func check(_ name: String, _ passed: Bool, _ detail: String) {
        checks.append(Check(name: name, passed: passed, detail: detail))
    }

    mutating func note(_ text: String) {
        notes.append(text)
    }

    /// The value of the figure added under `key`, if any.
    func value(of key: String) -> Double? {
        figures.first { $0.key == key }?.value
    }

    mutating func append(_ other: Findings) {
        figures += other.figures
        checks += other.checks
        notes += other.notes
    }
}

/// Order statistics over a handful of numbers.
enum Stats {
    /// Nearest-rank percentile (`q` from 0 to 1) of unsorted values; 0 for none.
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// The median (the mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
