import FieldSyncProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Turns every error a handler throws into a protocol error answer, so nothing a client sends
/// can make the server answer without a code and a sentence, or crash it (contract 6).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.render()
        } catch let error as HTTPError {
            return Self.translate(error, request: request).render()
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, .bodyTooLarge, "The request body is larger than the server accepts.").render()
        } catch let error as HTTPParserError {
            // Broken framing inside a body (a chunk size that overflows, say) is the client's
            // fault: a 4xx the device does not retry, never a 500 it would retry for ever.
            return APIError(
                .badRequest, .malformedRequest,
                "The request's HTTP framing is broken (\(error)); nothing was changed. Send a well-formed HTTP/1.1 request."
            ).render()
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return APIError(
                .internalServerError, .internalError,
                "The server met an unexpected error and changed nothing for this request; try again, and tell your admin if it persists."
            ).render()
        }
    }

    static func translate(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            return APIError(
                .notFound, .notFound, "There is no \(request.method) \(request.uri.path) in the FieldSync API; see WIRE-PROTOCOL.md.")
        case .methodNotAllowed:
            return APIError(.methodNotAllowed, .methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path).")
        case .contentTooLarge:
            return APIError(.contentTooLarge, .bodyTooLarge, "The request body is larger than the server accepts.")
        default:
            return APIError(error.status, .badRequest, error.body ?? "The request could not be handled: \(error.status.reasonPhrase).")
        }
    }
}
