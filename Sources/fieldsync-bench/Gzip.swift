import CompressNIO
import Foundation
import NIOCore

/// Inflates a gzipped answer body. The socket transport hands over the bytes as they came; a
/// transport that inflated them already (URLSession may) leaves no gzip header to inflate.
enum Gzip {
    static func inflateIfNeeded(_ body: Data, contentEncoding: String?) throws -> Data {
        guard contentEncoding?.lowercased() == "gzip", body.starts(with: [0x1F, 0x8B]) else { return body }
        var buffer = ByteBuffer(bytes: body)
        do {
            let inflated = try buffer.decompress(with: .gzip())
            return Data(inflated.readableBytesView)
        } catch {
            throw BenchError("A page said Content-Encoding: gzip but did not inflate: \(error)")
        }
    }
}
