import FieldSyncProtocol
import Foundation
import Hummingbird
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
    /// Whether reads wait for their audit entry to be committed (docs/decisions.md).
    public var readAudit: ReadAuditMode = .deferred

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
        configuration: ServerConfiguration, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let database = try ServerDatabase.open(dataDirectory: configuration.dataDirectory, automaticCheckpoints: false)
        let checkpointer = try WALCheckpointer(databasePath: database.path, logger: logger)
        let router = Router()
        router.add(middleware: ErrorMiddleware<BasicRequestContext>(logger: logger))
        let writer = GroupCommitWriter(database: database, checkpointer: checkpointer, logger: logger)
        let routes = SyncRoutes(
            database: database, writer: writer,
            authenticator: DeviceAuthenticator(database: database),
            feed: FeedReader(database: database, writer: writer, auditMode: configuration.readAudit),
            histories: HistoryReader(database: database), admin: AdminService(database: database),
            readAudit: ReadAudit(writer: writer, mode: configuration.readAudit),
            maxBodyBytes: configuration.maxBodyBytes, logger: logger)
        routes.register(on: router)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "fieldsync-server"),
            services: [checkpointer, SideWriteFlusher(writer: writer)],
            onServerRunning: { channel in
                await onRunning(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
    }
}
