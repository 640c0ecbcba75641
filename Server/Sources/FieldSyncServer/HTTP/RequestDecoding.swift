import FieldSyncProtocol
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat

/// Reads a JSON request body, bounded in size, into a wire type; every failure becomes a
/// protocol error that says what was wrong and where.
enum RequestDecoding {
    /// The advice in a change set's body-too-large refusal.
    static let fewerOperations = "send fewer operations per change set"
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, maxBytes: Int, smaller: String = RequestDecoding.fewerOperations
    ) async throws -> T {
        try decode(type, from: try await body(of: request, maxBytes: maxBytes, smaller: smaller))
    }

    /// A pushed change set: the fast reader for the plain shape devices send, and `JSONDecoder`
    /// for anything else (which also gives the exact error when the body is wrong).
    static func changeSet(from request: Request, maxBytes: Int) async throws -> ChangeSet {
        let data = try await body(of: request, maxBytes: maxBytes)
        if let changeSet = ChangeSetFastDecoder.decode(data) { return changeSet }
        ServerMetrics.changeSetDecodeFallback()
        return try decode(ChangeSet.self, from: data)
    }

    /// The request body, bounded in size; an empty body is refused. A declared `Content-Length`
    /// over the bound is refused before any of the body is read (``ConnectionGuardHandler`` then
    /// drops the rest and closes, so the client reads the answer).
    /// - Parameter smaller: how to make a body that fits, as the end of the refusal's sentence.
    static func body(of request: Request, maxBytes: Int, smaller: String = RequestDecoding.fewerOperations) async throws -> Data {
        if let declared = request.headers[.contentLength].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), declared > maxBytes {
            throw APIError(
                .contentTooLarge, .bodyTooLarge,
                "The request body is \(declared) bytes; this server accepts at most \(maxBytes) here; \(smaller)."
            )
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge, .bodyTooLarge,
                "The request body is larger than the \(maxBytes) bytes this server accepts; \(smaller).")
        }
        RequestObservation.readBody(bytes: buffer.readableBytes)
        if buffer.readableBytes == 0 {
            throw APIError(.badRequest, .malformedJSON, "The request has no body; send a JSON document.")
        }
        return Data(buffer: buffer)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        do {
            return try WireProtocol.makeDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw APIError(.badRequest, .malformedJSON, "The body is not valid JSON.")
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.isEmpty ? "the body" : String(text.drop { $0 == "." })
        }
        switch error {
        case .typeMismatch(let type, let context):
            return APIError(.badRequest, .wrongType, "\(path(context.codingPath)) must be \(describe(type)).")
        case .valueNotFound(let type, let context):
            return APIError(.badRequest, .wrongType, "\(path(context.codingPath)) must be \(describe(type)), not null.")
        case .keyNotFound(let key, let context):
            let owner = context.codingPath.isEmpty ? "The body" : path(context.codingPath)
            return APIError(.badRequest, .missingMember, "\(owner) needs the member '\(key.stringValue)'.")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return APIError(.badRequest, .malformedJSON, "The body is not valid JSON; check it with a JSON validator.")
            }
            return APIError(.badRequest, .invalidValue, "\(path(context.codingPath)) is not valid: \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, .malformedJSON, "The body could not be read as FieldSync JSON.")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        case is UUID.Type: return "a UUID string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a \(name)"
        }
    }
}
