import ArgumentParser
import FieldSyncProtocol
import FieldSyncServer
import Foundation
import Hummingbird
import Logging

@main
struct FieldSyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldsync-server",
        abstract: "The FieldSync sync server: visit records and PEP drafts from offline devices, merged and kept.",
        version: FieldSyncVersion.current,
        subcommands: [Serve.self, Admin.self, ConfigCommands.self])

    /// `fieldsync-server admin --data DIR user add …` names the data folder before the
    /// subcommand; ArgumentParser reads a subcommand's options after its name, so the admin
    /// options given early are moved to the end before parsing. Both placements then work.
    static func main() async {
        // Every file the server or an admin command makes in the data folder is owner-only.
        DataFolderPermissions.restrictNewFiles()
        var arguments = AdminArgumentOrder.normalise(Array(CommandLine.arguments.dropFirst()))
        if arguments.first == "serve" {
            // Settings from FIELDSYNC_* variables and a configuration file become flags (ServeSettings).
            do {
                arguments =
                    ["serve"]
                    + (try ServeSettings(arguments: Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
                        .arguments)
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                Foundation.exit(1)
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if AdminErrorOutput.wantsJSON(arguments) { AdminErrorOutput.exit(with: error) }
            exit(withError: error)
        }
    }
}

enum AdminArgumentOrder {
    static func normalise(_ arguments: [String]) -> [String] {
        guard arguments.first == "admin" else { return arguments }
        var early: [String] = []
        var rest = Array(arguments.dropFirst())
        while let first = rest.first, first.hasPrefix("--") {
            if first == "--json" || first.contains("=") {
                early.append(rest.removeFirst())
            } else if first == "--data" || first == "--audit-key-file", rest.count >= 2 {
                early.append(contentsOf: rest.prefix(2))
                rest.removeFirst(2)
            } else {
                break
            }
        }
        return ["admin"] + rest + early
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the sync server on a data folder.",
        discussion: """
            Every option may also come from the environment, as FIELDSYNC_<OPTION> (FIELDSYNC_LOG_FORMAT=json), or from a \
            configuration file named by --config FILE or $FIELDSYNC_CONFIG, one 'option = value' a line. A flag wins over \
            the environment, the environment over the file. Check a setup with: fieldsync-server config check.
            """)

    @Option(help: "The data folder (created if missing); holds fieldsync.sqlite. One server per folder (serve.lock).")
    var data: String

    @Option(help: "The address to listen on. Loopback by default; put a TLS proxy in front for other hosts.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one (printed once listening).")
    var port = 8787

    @Option(help: "The largest request body accepted, in bytes.")
    var maxBodyBytes = WireProtocol.defaultMaxBodyBytes

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Log line format: text (for a terminal) or json (one object per line, for a log collector).")
    var logFormat: LogFormat = .text

    @Option(help: "One access-log line per request (method, route, status, duration, bytes, request id, device): on or off.")
    var accessLog: Switch = .on

    @Option(help: "Expose Prometheus metrics at /metrics on this port (a listener of its own; 0 picks a free one). None by default.")
    var metricsPort: Int?

    @Option(help: "The address of the metrics listener. Loopback by default.")
    var metricsHost = "127.0.0.1"

    @Option(help: "The audit key file, made 0600 if missing (default: $FIELDSYNC_AUDIT_KEY_FILE, else audit.key in the data folder).")
    var auditKeyFile: String?

    @Option(help: "Log an audit anchor (entry count and newest hash) at start and every this many seconds; 0 never.")
    var auditAnchorIntervalSeconds = 3600

    @Option(help: "Close a connection with no request under way after this many seconds.")
    var idleTimeoutSeconds = 60

    @Option(help: "Close a connection whose request headers take longer than this many seconds to arrive (answered 408).")
    var headerReadTimeoutSeconds = 10

    @Option(help: "Failed enrolments allowed per minute from one client address (then 429 with Retry-After).")
    var enrolFailuresPerMinute = 10

    @Option(help: "Failed enrolments allowed per minute for the whole server, from all addresses.")
    var enrolFailuresPerMinuteOverall = 100

    @Option(
        help: ArgumentHelp(
            "Whether a read waits for its audit entry to be committed: deferred or strict.",
            discussion:
                "deferred (the default) answers pulls, histories and reports at once and commits their audit entries with the writer's next group; strict answers only once the entry is durable, waiting behind the group in progress. Exports always wait for their start entry."
        ))
    var readAudit: ReadAuditMode = .deferred

    @Option(help: "Days a device may go without syncing before it stops showing case records (a device's own, set at enrolment, wins).")
    var offlineLeaseDays = DevicePolicy.standard.offlineLeaseSeconds / DevicePolicy.secondsPerDay

    @Option(help: "Days without syncing after which a device erases all but its unsent edits; not earlier than the lease.")
    var offlineEraseDays = DevicePolicy.standard.offlineEraseSeconds / DevicePolicy.secondsPerDay

    @Option(help: "Days an authorised visit or finalised PEP, synced and unchanged, stays on a device (fetched again on demand).")
    var deviceRetentionDays = DevicePolicy.standard.retentionSeconds / DevicePolicy.secondsPerDay

    @Option(help: "Live sync: seconds between heartbeats on a watch (each also checks the device is not revoked); 1 to 30.")
    var watchHeartbeatSeconds = WatchLimits().heartbeatSeconds

    @Option(help: "Live sync: end each watch after this many seconds (the device reconnects at once); 1 to 3600.")
    var watchMaxSeconds = WatchLimits().lifetimeSeconds

    @Option(help: "Live sync: open watches one device may hold (then 429 too_many_watches).")
    var watchesPerDevice = WatchLimits().perDevice

    @Option(help: "Live sync: open watches in all (each holds a connection; keep the open-file limit above it).")
    var maxWatches = WatchLimits().total

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535.") }
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be from 0 to 65535.") }
        guard auditAnchorIntervalSeconds >= 0 else { throw ValidationError("--audit-anchor-interval-seconds must be 0 or more.") }
        guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024.") }
        guard (1...86_400).contains(idleTimeoutSeconds) else { throw ValidationError("--idle-timeout-seconds must be from 1 to 86400.") }
        guard (1...3_600).contains(headerReadTimeoutSeconds) else {
            throw ValidationError("--header-read-timeout-seconds must be from 1 to 3600.")
        }
        guard enrolFailuresPerMinute >= 1, enrolFailuresPerMinuteOverall >= 1 else {
            throw ValidationError("--enrol-failures-per-minute and --enrol-failures-per-minute-overall must be at least 1.")
        }
        let maxDays = DevicePolicy.maxSeconds / DevicePolicy.secondsPerDay
        for (days, name) in [
            (offlineLeaseDays, "offline-lease-days"), (offlineEraseDays, "offline-erase-days"),
            (deviceRetentionDays, "device-retention-days"),
        ] where !(1...maxDays).contains(days) {
            throw ValidationError("--\(name) must be from 1 to \(maxDays).")
        }
        guard offlineEraseDays >= offlineLeaseDays else {
            throw ValidationError(
                "--offline-erase-days must not be less than --offline-lease-days: records are erased only after they are locked.")
        }
        guard (1...LiveSync.maxHeartbeatSeconds).contains(watchHeartbeatSeconds) else {
            throw ValidationError("--watch-heartbeat-seconds must be from 1 to \(LiveSync.maxHeartbeatSeconds).")
        }
        guard (1...3_600).contains(watchMaxSeconds) else { throw ValidationError("--watch-max-seconds must be from 1 to 3600.") }
        guard (1...100).contains(watchesPerDevice) else { throw ValidationError("--watches-per-device must be from 1 to 100.") }
        guard (1...1_000_000).contains(maxWatches) else { throw ValidationError("--max-watches must be from 1 to 1000000.") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func run() async throws {
        // One server per data folder, held until the process ends (before the store is opened).
        let lock = try ServeLock.acquire(dataDirectory: data)
        defer { withExtendedLifetime(lock) {} }
        LoggingSystem.bootstrap(logFormat.makeHandler)
        // Before the application is made: swift-metrics has one backend per process.
        let metricsHost = self.metricsHost
        let metrics = metricsPort.map { MetricsListener.bootstrap(host: metricsHost, port: $0) }
        var logger = Logger(label: "fieldsync-server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = {
            var configuration = ServerConfiguration(dataDirectory: data, host: host, port: port, maxBodyBytes: maxBodyBytes)
            configuration.auditKeyFile = auditKeyFile
            configuration.auditAnchorInterval = auditAnchorIntervalSeconds == 0 ? nil : .seconds(auditAnchorIntervalSeconds)
            configuration.idleTimeoutSeconds = idleTimeoutSeconds
            configuration.headerReadTimeoutSeconds = headerReadTimeoutSeconds
            configuration.enrolFailuresPerMinute = enrolFailuresPerMinute
            configuration.enrolFailuresPerMinuteOverall = enrolFailuresPerMinuteOverall
            configuration.readAudit = readAudit
            configuration.accessLog = accessLog == .on
            configuration.metrics = metrics
            configuration.devicePolicy = DevicePolicy(
                offlineLeaseSeconds: offlineLeaseDays * DevicePolicy.secondsPerDay,
                offlineEraseSeconds: offlineEraseDays * DevicePolicy.secondsPerDay,
                retentionSeconds: deviceRetentionDays * DevicePolicy.secondsPerDay)
            configuration.watch.heartbeatSeconds = watchHeartbeatSeconds
            configuration.watch.lifetimeSeconds = watchMaxSeconds
            configuration.watch.perDevice = watchesPerDevice
            configuration.watch.total = maxWatches
            return configuration
        }()
        let app = try FieldSyncServer.makeApplication(configuration: configuration, logger: logger) { port in
            // Written unbuffered: tests and scripts wait for this line to learn the port.
            FileHandle.standardOutput.write(
                Data("fieldsync-server listening on http://\(configuration.host):\(port) (data: \(configuration.dataDirectory))\n".utf8))
        } onMetricsRunning: { port in
            FileHandle.standardOutput.write(Data("fieldsync-server metrics on http://\(metricsHost):\(port)/metrics\n".utf8))
        }
        try await app.runService()
    }
}

extension ReadAuditMode: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// An on/off option value (`--access-log off`).
enum Switch: String, CaseIterable, ExpressibleByArgument {
    case on, off
}
