import ArgumentParser
import Dispatch
import FieldSyncClient
import FieldSyncProtocol
import Foundation

/// `fieldsync watch`: stays in sync until stopped (Ctrl-C, SIGTERM, or `--for-seconds`).
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stay in sync: receive each change as the server announces it, send edits as they are made. Ctrl-C stops.",
        discussion: """
            Prints one line per sync (with --json, one JSON object a line: at, trigger, sync); whether live sync is \
            connected goes to stderr. Edits made by another fieldsync command on the same store are sent within a second. \
            While the server's live sync is unavailable it syncs every --poll-seconds and reconnects with backoff. \
            Exits 0 when stopped, 75 when stopped while the server could not be reached, 77 when the device was revoked \
            (its store is then erased), 1 when the server refused this device for another reason.
            """)

    @OptionGroup var options: DeviceOptions

    @Option(help: "While live sync is unavailable, a full sync every this many seconds.")
    var pollSeconds = 30

    @Option(help: "Stop after this many seconds (0: run until stopped).")
    var forSeconds = 0

    func validate() throws {
        guard (1...86_400).contains(pollSeconds) else { throw ValidationError("--poll-seconds must be from 1 to 86400.") }
        guard (0...2_592_000).contains(forSeconds) else { throw ValidationError("--for-seconds must be from 0 to 2592000 (30 days).") }
    }

    func run() async throws {
        let device = try options.device()
        let printer = WatchPrinter(options: options, pollSeconds: pollSeconds)
        let watchOptions = WatchOptions(pollInterval: .seconds(pollSeconds))
        let watching = Task { () async -> Result<WatchOutcome, ClientError> in
            do throws(ClientError) {
                return .success(try await device.watch(options: watchOptions) { printer.show($0) })
            } catch {
                return .failure(error)
            }
        }
        // SIGINT and SIGTERM stop the watch between syncs' requests, as --for-seconds does.
        let stops = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { watching.cancel() }
            source.resume()
            return source
        }
        let timer =
            forSeconds > 0
            ? Task { [forSeconds] in
                try? await Task.sleep(for: .seconds(forSeconds))
                watching.cancel()
            } : nil
        let result = await watching.value
        timer?.cancel()
        for source in stops { source.cancel() }
        switch result {
        case .failure(let error):
            throw options.fail(error)
        case .success(.wiped(let report)):
            if !options.json { FileHandle.standardError.write(Data("fieldsync: \(report.message ?? "") [device_revoked]\n".utf8)) }
            throw ExitStatus.revokedAndWiped.exitCode
        case .success(.stopped(let last)):
            if let last, !last.reachable { throw ExitStatus.unreachable.exitCode }
        }
    }
}

/// Prints a watch's syncs on stdout (a line each) and its connection's state on stderr.
struct WatchPrinter: Sendable {
    let json: Bool
    let quiet: Bool
    let pollSeconds: Int

    init(options: DeviceOptions, pollSeconds: Int) {
        json = options.json
        quiet = options.quiet
        self.pollSeconds = pollSeconds
    }

    /// One `--json` line.
    struct Line: Encodable {
        let at: String
        let trigger: WatchTrigger
        let sync: SyncReport
    }

    func show(_ update: WatchUpdate) {
        switch update {
        case .synced(let trigger, let report):
            let at = WireTime.now()
            let text: String
            if json {
                text = (try? CLIJSON.encode(Line(at: at, trigger: trigger, sync: report), pretty: false)) ?? "{}"
            } else if report.wiped {
                return  // said once, when the watch ends
            } else if !report.reachable {
                text =
                    "\(at) \(trigger.rawValue): \(report.message ?? "the server could not be reached") [\(ClientError.serverUnreachableCode)]"
            } else {
                text = "\(at) \(trigger.rawValue): \(SyncOutput.counts(report))"
            }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        case .live:
            note("live sync connected: changes arrive as they are made")
        case .degraded(let reason):
            note("\(reason) Syncing every \(pollSeconds) s until live sync is back.")
        }
    }

    private func note(_ text: String) {
        if !quiet { FileHandle.standardError.write(Data("fieldsync: \(text)\n".utf8)) }
    }
}
