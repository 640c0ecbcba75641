import HTTPTypes
import Hummingbird

/// The address of the client a request came from, for rate limits and the audit trail.
///
/// ``ConnectionGuardHandler`` writes the connection's peer address into ``header`` on every
/// request (replacing whatever a client sent under that name, so it cannot be forged); the
/// middleware makes it ``current`` for the request's task. Behind a proxy this is the proxy's
/// address: `X-Forwarded-For` is not trusted.
enum PeerAddress {
    static let header = HTTPField.Name("FieldSync-Peer-Address")!

    @TaskLocal static var current: String = "unknown"
}

struct PeerAddressMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        try await PeerAddress.$current.withValue(request.headers[PeerAddress.header] ?? "unknown") {
            try await next(request, context)
        }
    }
}
