import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// gzip for JSON answers when the client says it takes it (`Accept-Encoding: gzip`): pull pages
/// are mostly repeated field names and run to megabytes on a first sync over 4G.
///
/// Small bodies are sent as they are (gzip's header and the CPU would cost more than they save).
/// zlib's fastest level: on a fast link the time to compress must not outweigh the bytes saved.
enum ResponseCompression {
    /// Bodies shorter than this go uncompressed.
    static let minimumBytes = 1_024

    /// Whether the request's `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*`, not refused with `q=0`).
    static func acceptsGzip(_ headers: HTTPFields) -> Bool {
        for value in headers[values: .acceptEncoding].flatMap({ $0.split(separator: ",") }) {
            let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, ["gzip", "x-gzip", "*"].contains(coding) else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }

    /// A 200 JSON answer of `bytes`, gzipped when the request takes it and the body is big enough.
    /// Returns the answer and the encoding used (`gzip` or `identity`).
    static func json(_ bytes: some Collection<UInt8>, for request: Request) -> (Response, encoding: String) {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .vary: "Accept-Encoding"]
        var buffer = ByteBuffer(bytes: bytes)
        if bytes.count >= minimumBytes, acceptsGzip(request.headers),
            let compressed = try? buffer.compress(with: .gzip(configuration: ZlibConfiguration(compressionLevel: 1)))
        {
            headers[.contentEncoding] = "gzip"
            return (Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: compressed)), "gzip")
        }
        buffer.moveReaderIndex(to: 0)
        return (Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: buffer)), "identity")
    }
}
