import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Where the server exposes its metrics: a listener of its own, so `/metrics` is never on the
/// address devices reach (loopback unless told otherwise).
public struct MetricsListener: Sendable {
    public var host: String
    /// 0 picks a free port; the chosen one is passed to `onMetricsRunning`.
    public var port: Int
    let registry: PrometheusCollectorRegistry

    /// Makes swift-metrics record into a new Prometheus registry, exposed by this listener.
    /// swift-metrics has one backend per process: call this once, before `makeApplication`.
    public static func bootstrap(host: String, port: Int) -> MetricsListener {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = ServerMetrics.valueBuckets
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return MetricsListener(host: host, port: port, registry: registry)
    }
}

/// The metrics listener's application: `GET /metrics` in the Prometheus text format. The store
/// gauges (feed head, WAL size, devices by last contact) are read at each scrape.
enum MetricsEndpoint {
    static func application(
        _ listener: MetricsListener, database: ServerDatabase, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            if let reading = try? await StoreReading.read(from: database) {
                ServerMetrics.storeGauges(reading)
            } else {
                Counter(label: "fieldsync_metrics_store_read_failures_total").increment()
            }
            var text: [UInt8] = []
            listener.registry.emit(into: &text)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(listener.host, port: listener.port), serverName: "fieldsync-server-metrics"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? listener.port) },
            logger: logger)
    }
}
