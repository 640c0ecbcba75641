import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /healthz` (the process answers) and `GET /readyz` (it should be sent traffic: the store
/// answers a query, every migration is applied, and the server is not shutting down). Neither
/// needs a token or the protocol header, so a load balancer or an orchestrator can call them.
/// Also `GET /openapi.yaml`, the API's description (Protocol/openapi.yaml).
struct HealthRoutes: Sendable {
    let database: ServerDatabase
    let readiness: Readiness

    struct Health: Encodable {
        let status: String
        let version: String
        let protocolVersions: [Int]
    }

    struct Ready: Encodable {
        let status: String
        let version: String
        let checks: [String: String]
        /// What is wrong, when not ready: a sentence for an operator.
        let reason: String?
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("healthz") { _, _ in
            try Self.json(Health(status: "ok", version: FieldSyncVersion.current, protocolVersions: WireProtocol.supportedVersions), .ok)
        }
        router.get("readyz") { _, _ in try await ready() }
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml + "\n")))
        }
    }

    func ready() async throws -> Response {
        var checks = ["store": "ok", "migrations": "ok", "shutdown": "no"]
        var reasons: [String] = []
        do {
            let migrated = try await database.pool.read { db in try ServerSchema.migrator.hasCompletedMigrations(db) }
            if !migrated {
                checks["migrations"] = "pending"
                reasons.append("the store's schema is not fully migrated")
            }
        } catch {
            checks["store"] = "failing"
            checks["migrations"] = "unknown"
            reasons.append("the store did not answer a query (\(error))")
        }
        if readiness.isShuttingDown || Task.isShuttingDownGracefully {
            checks["shutdown"] = "yes"
            reasons.append("the server is shutting down")
        }
        let ready = reasons.isEmpty
        return try Self.json(
            Ready(
                status: ready ? "ready" : "not_ready", version: FieldSyncVersion.current, checks: checks,
                reason: ready ? nil : reasons.joined(separator: "; ") + "."),
            ready ? .ok : .serviceUnavailable)
    }

    static func json<T: Encodable>(_ value: T, _ status: HTTPResponse.Status) throws -> Response {
        let data = try WireProtocol.makeEncoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Whether the server has been told to stop; `/readyz` then answers 503.
final class Readiness: Sendable {
    private let stopping = Atomic<Bool>(false)

    var isShuttingDown: Bool { stopping.load(ordering: .relaxed) }

    func markShuttingDown() { stopping.store(true, ordering: .relaxed) }
}

/// Marks ``Readiness`` as shutting down as soon as graceful shutdown reaches it.
struct ShutdownWatcher: Service {
    let readiness: Readiness

    func run() async throws {
        try? await gracefulShutdown()
        readiness.markShuttingDown()
    }
}
