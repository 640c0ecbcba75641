import FieldSyncProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// Refuses any `/v1` request that does not say which protocol version it speaks, or speaks one
/// this server does not, naming the versions it does (contract 6.3).
struct ProtocolVersionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name(WireProtocol.versionHeader)! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let supported = WireProtocol.supportedVersions
        let list = supported.map(String.init).joined(separator: ", ")
        guard let text = request.headers[Self.headerName] else {
            throw APIError(
                .badRequest, .unsupportedProtocolVersion,
                "Send the header \(WireProtocol.versionHeader) with the protocol version you speak; this server speaks \(list).",
                supportedVersions: supported)
        }
        guard let version = Int(text.trimmingCharacters(in: .whitespaces)), supported.contains(version) else {
            throw APIError(
                .badRequest, .unsupportedProtocolVersion,
                "This server does not speak protocol version '\(text)'; it speaks \(list). Update the FieldSync app.",
                supportedVersions: supported)
        }
        return try await next(request, context)
    }
}
