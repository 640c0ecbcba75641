import FieldSyncProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answer of the wire protocol: an HTTP status, a machine-readable code and a sentence
/// a person can act on, rendered as ``ErrorBody`` JSON.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let body: ErrorBody.Detail
    /// With `429 rate_limited`: seconds until the client may try again (`Retry-After`).
    public var retryAfterSeconds: Int?

    public init(
        _ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String, supportedVersions: [Int]? = nil,
        wipe: Bool? = nil, retryAfterSeconds: Int? = nil
    ) {
        self.status = status
        self.body = ErrorBody.Detail(code: code.rawValue, message: message, supportedVersions: supportedVersions, wipe: wipe)
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status.code) \(body.code): \(body.message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        render()
    }

    func render() -> Response {
        let data = (try? WireProtocol.makeEncoder().encode(ErrorBody(body))) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func from(_ error: ValidationError) -> APIError {
        APIError(.badRequest, error.code, error.message)
    }
}
