import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The outermost middleware: gives each request its id (returned in `X-Request-Id`), and when it
/// is answered writes one access-log line and records the request metrics.
///
/// The line names the method, the route pattern (`/v1/records/{id}/history`, not the raw path,
/// so no record id or query string reaches the log), status, duration, bytes in and out, the
/// request id and the device once authenticated. Never a header value, a token, an enrolment
/// code or any field content. A body of known length is logged when the handler returns it; a
/// streamed one (an export) when its last byte is written, with the bytes counted.
struct RequestObservationMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The access log; nil when `serve --access-log off`.
    let accessLog: Logger?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        let id = RequestIdentifier.accept(request.headers[RequestIdentifier.header]) ?? RequestIdentifier.make()
        let observation = RequestObservation()
        var response = try await RequestObservation.$current.withValue(observation) {
            try await next(request, context)
        }
        response.headers[RequestIdentifier.header] = id
        let line = AccessLine(
            id: id, method: request.method.rawValue, route: Self.route(context.endpointPath), status: response.status.code,
            started: started, declaredBytesIn: request.headers[.contentLength].flatMap { Int($0) }, observation: observation)
        if let length = response.body.contentLength {
            line.finish(bytesOut: length, accessLog: accessLog)
            return response
        }
        let body = response.body
        let accessLog = accessLog
        response.body = ResponseBody(contentLength: nil) { writer in
            let sent = Mutex(0)
            do {
                try await body.write(
                    writer.map { buffer in
                        sent.withLock { $0 += buffer.readableBytes }
                        return buffer
                    })
            } catch {
                line.finish(bytesOut: sent.withLock { $0 }, accessLog: accessLog, failed: true)
                throw error
            }
            line.finish(bytesOut: sent.withLock { $0 }, accessLog: accessLog)
        }
        return response
    }

    /// The route as registered, with parameters in braces; `unmatched` for a path with no route
    /// (Hummingbird then leaves the path unset, or names it `NotFound`).
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath.hasPrefix("/") else { return "unmatched" }
        return endpointPath.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }
}

/// One request's access-log line and request metrics, written once it is answered.
struct AccessLine: Sendable {
    let id: String
    let method: String
    let route: String
    let status: Int
    let started: ContinuousClock.Instant
    let declaredBytesIn: Int?
    let observation: RequestObservation

    func finish(bytesOut: Int, accessLog: Logger?, failed: Bool = false) {
        let duration = ContinuousClock.now - started
        ServerMetrics.request(method: method, route: route, status: status, duration: duration)
        guard let accessLog else { return }
        var metadata: Logger.Metadata = [
            "request_id": .string(id),
            "method": .string(method),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((Double(ServerMetrics.nanoseconds(duration)) / 1_000).rounded() / 1_000),
            "bytes_in": .stringConvertible(observation.bytesIn ?? declaredBytesIn ?? 0),
            "bytes_out": .stringConvertible(bytesOut),
        ]
        if let device = observation.device { metadata["device_id"] = .string(device.uuidString.lowercased()) }
        if failed { metadata["incomplete"] = "true" }
        accessLog.info("\(method) \(route) \(status)", metadata: metadata)
    }
}
