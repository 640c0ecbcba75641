import FieldSyncProtocol
import Foundation

/// The machine's cores and load, stated at start and end so the noise in the figures is known.
struct MachineLoad: Codable, Sendable {
    let cores: Int
    /// The 1, 5 and 15 minute load averages from /proc/loadavg.
    let loadAverage: [Double]
    let at: String

    static func now() -> MachineLoad {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        let loads = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return MachineLoad(cores: ProcessInfo.processInfo.activeProcessorCount, loadAverage: loads, at: WireTime.now())
    }

    var line: String {
        let loads = loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " ")
        return "\(cores) cores, load average \(loads) (1/5/15 min) at \(at)"
    }
}

/// Other processes that used CPU while the benchmark ran: read from /proc before and after.
struct ProcessCensus: Sendable {
    struct Entry: Codable, Sendable {
        let pid: Int32
        let command: String
        let cpuSeconds: Double
    }

    private let cpuByPid: [Int32: (command: String, cpu: Double)]

    static func take() -> ProcessCensus {
        var found: [Int32: (String, Double)] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in names.prefix(100_000) {
            guard let pid = Int32(name),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let cpu = ProcessStats.cpuSeconds(statLine: stat)
            else { continue }
            found[pid] = (commandLine(pid: pid, stat: stat), cpu)
        }
        return ProcessCensus(cpuByPid: found)
    }

    /// The processes (other than `excluding`) that used the most CPU between `earlier` and now.
    func busiest(since earlier: ProcessCensus, excluding: Set<Int32>, top: Int = 6) -> [Entry] {
        var entries: [Entry] = []
        for (pid, now) in cpuByPid where !excluding.contains(pid) {
            let before = earlier.cpuByPid[pid]?.cpu ?? 0
            let used = now.cpu - before
            if used >= 0.5 { entries.append(Entry(pid: pid, command: now.command, cpuSeconds: used)) }
        }
        return Array(entries.sorted { $0.cpuSeconds > $1.cpuSeconds }.prefix(top))
    }

    private static func commandLine(pid: Int32, stat: String) -> String {
        if let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty {
            let text = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
                .trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { return String(text.prefix(100)) }
        }
        if let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"), open < close {
            return "[" + stat[stat.index(after: open)..<close] + "]"
        }
        return "?"
    }
}
