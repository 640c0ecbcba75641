import FieldSyncClient
import Foundation

/// Progress of a long sync or export, on stderr when it is a terminal and neither `--json` nor
/// `--quiet` was given: a bar when the total is known ("sent [#####     ] 12/24"), a count
/// otherwise ("received 3,000"). One line, redrawn in place, cleared at the end; never in a pipe or a log.
struct TerminalProgress: Sendable {
    let enabled: Bool

    init(options: DeviceOptions, enabled: Bool = true) {
        self.enabled = enabled && !options.json && !options.quiet && isatty(STDERR_FILENO) == 1
    }

    static let width = 24

    /// The line for one step: a bar with the count when the total is known, else the count.
    static func line(_ progress: SyncProgress) -> String {
        guard let total = progress.total, total > 0 else { return "\(progress.phase) \(progress.done)…" }
        let filled = min(width, progress.done * width / total)
        return
            "\(progress.phase) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(progress.done)/\(total)"
    }

    var show: (@Sendable (SyncProgress) -> Void)? {
        guard enabled else { return nil }
        return { progress in FileHandle.standardError.write(Data("\r\u{1B}[K\(Self.line(progress))".utf8)) }
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
