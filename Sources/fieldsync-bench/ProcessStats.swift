import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What Linux's /proc says about one process: peak resident memory and CPU time used so far.
struct ProcessStats: Sendable {
    /// VmHWM: the peak resident set size, in bytes.
    let peakResidentBytes: Int64
    /// utime + stime, in seconds.
    let cpuSeconds: Double

    static let clockTicksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    static func read(pid: Int32) -> ProcessStats? {
        guard let cpu = cpuSeconds(pid: pid),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        var peak: Int64 = 0
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:     123456 kB"
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int64(parts[1]) { peak = kb * 1024 }
        }
        return ProcessStats(peakResidentBytes: peak, cpuSeconds: cpu)
    }

    /// utime + stime of a process from /proc/PID/stat (fields 14 and 15), in seconds.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return cpuSeconds(statLine: stat)
    }

    static func cpuSeconds(statLine stat: String) -> Double? {
        // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
        return (utime + stime) / clockTicksPerSecond
    }
}

/// CPU time of the whole machine and of this process, to work out what others used meanwhile.
enum CPUAccounting {
    /// Busy time of all cores (user, nice, system, irq, softirq, steal) from /proc/stat, in seconds.
    static func machineBusySeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 8 else { return nil }
        let busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
        return busy / ProcessStats.clockTicksPerSecond
    }

    /// This process's CPU time plus that of its children it has waited for (the server once
    /// stopped, the admin commands), in seconds.
    static func ownAndChildrenSeconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // utime, stime, cutime, cstime are fields 14 to 17: fields[11] to fields[14] here.
        guard fields.count > 14 else { return nil }
        let values = fields[11...14].compactMap { Double($0) }
        guard values.count == 4 else { return nil }
        return values.reduce(0, +) / ProcessStats.clockTicksPerSecond
    }
}
