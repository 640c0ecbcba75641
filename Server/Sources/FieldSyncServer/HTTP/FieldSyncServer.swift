import FieldSyncProtocol
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// How to run a FieldSync server.
public struct ServerConfiguration: Sendable {
    public var dataDirectory: String
    public var host: String
    /// 0 picks a free port; the chosen one is passed to `onRunning`.
    public var port: Int
    public var maxBodyBytes: Int
    /// The audit key file; nil for `$FIELDSYNC_AUDIT_KEY_FILE`, else `audit.key` in the data folder.
    public var auditKeyFile: String?
    /// How often the server logs an audit anchor (and once at start); nil never.
    public var auditAnchorInterval: Duration? = .seconds(3600)
    /// A connection with no request under way is closed after this long.
    public var idleTimeoutSeconds: Int = 60
    /// A request's headers must arrive within this long of its first byte.
    public var headerReadTimeoutSeconds: Int = 10
    /// Failed enrolments allowed per minute from one client address, and for the whole server.
    public var enrolFailuresPerMinute: Int = 10
    public var enrolFailuresPerMinuteOverall: Int = 100
    /// Whether reads wait for their audit entry to be committed (docs/decisions.md).
    public var readAudit: ReadAuditMode = .deferred
    /// One access-log line per request (label `fieldsync-server.access`, at info whatever the log level).
    public var accessLog = true
    /// The metrics listener; nil for none (metrics are then not recorded at all).
    public var metrics: MetricsListener?
    /// Devices' offline lease, erase limit and retention, unless set for a device at enrolment.
    public var devicePolicy = DevicePolicy.standard
    /// Live sync's bounds (`GET /v1/changes/watch`).
    public var watch = WatchLimits()

    public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 8787, maxBodyBytes: Int = WireProtocol.defaultMaxBodyBytes) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Builds the FieldSync HTTP application on its SQLite store.
public enum FieldSyncServer {
    public static func makeApplication(
        configuration: ServerConfiguration, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let database = try ServerDatabase.open(
            dataDirectory: configuration.dataDirectory, automaticCheckpoints: false,
            auditKeyFile: AuditKeyFile.resolve(option: configuration.auditKeyFile, dataDirectory: configuration.dataDirectory))
        for line in database.tightenedPermissions {
            logger.warning("made a data file private (owner only)", metadata: ["change": "\(line)"])
        }
        let checkpointer = try WALCheckpointer(databasePath: database.path, logger: logger)
        let securityAudit = SecurityAudit(database: database, logger: logger)
        let router = Router()
        router.add(
            middleware: RequestObservationMiddleware<BasicRequestContext>(accessLog: configuration.accessLog ? Self.accessLogger : nil))
        router.add(middleware: ErrorMiddleware<BasicRequestContext>(logger: logger))
        router.add(middleware: PeerAddressMiddleware<BasicRequestContext>())
        let admin = AdminService(database: database)
        let notifier = FeedNotifier(limits: configuration.watch)
        let writer = GroupCommitWriter(database: database, checkpointer: checkpointer, logger: logger, notifier: notifier)
        let authenticator = DeviceAuthenticator(database: database, securityAudit: securityAudit)
        let routes = SyncRoutes(
            database: database, writer: writer,
            authenticator: authenticator,
            feed: FeedReader(database: database, writer: writer, auditMode: configuration.readAudit),
            histories: HistoryReader(database: database), admin: admin,
            readAudit: ReadAudit(writer: writer, mode: configuration.readAudit),
            maxBodyBytes: configuration.maxBodyBytes, devicePolicy: configuration.devicePolicy, logger: logger,
            enrolment: EnrolmentEndpoint(
                database: database, admin: admin,
                limiter: AttemptLimiter(
                    perAddressPerMinute: configuration.enrolFailuresPerMinute,
                    overallPerMinute: configuration.enrolFailuresPerMinuteOverall),
                securityAudit: securityAudit, logger: logger),
            watch: WatchEndpoint(authenticator: authenticator, notifier: notifier))
        let readiness = Readiness()
        HealthRoutes(database: database, readiness: readiness).register(on: router)
        routes.register(on: router)
        var services: [any Service] = [
            ShutdownWatcher(readiness: readiness), checkpointer, securityAudit, SideWriteFlusher(writer: writer),
            WatchTicker(notifier: notifier),
        ]
        if let interval = configuration.auditAnchorInterval {
            services.append(AuditAnchorLog(database: database, logger: logger, interval: interval))
        }
        if let metrics = configuration.metrics {
            services.append(MetricsEndpoint.application(metrics, database: database, logger: logger, onRunning: onMetricsRunning))
        }
        let limits = ConnectionLimits(
            maxBodyBytes: configuration.maxBodyBytes, headerReadTimeout: .seconds(Int64(configuration.headerReadTimeoutSeconds)))
        return Application(
            router: router,
            server: .http1(
                configuration: HTTP1Channel.Configuration(
                    additionalChannelHandlers: [ConnectionGuardHandler(limits: limits)],
                    idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "fieldsync-server"),
            services: services,
            onServerRunning: { channel in
                await onRunning(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }

    /// The access log's logger: info level, so `--log-level warning` quiets the server's own
    /// messages without losing the request lines (`--access-log off` turns those off).
    static var accessLogger: Logger {
        var logger = Logger(label: "fieldsync-server.access")
        logger.logLevel = .info
        return logger
    }
}
