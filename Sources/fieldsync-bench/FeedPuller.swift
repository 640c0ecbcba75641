import FieldSyncProtocol
import Foundation

/// Pulls the change feed from a cursor, following `cursor` and `more` to the end, as a device does.
struct FeedPuller {
    struct Result: Sendable {
        var records: [RecordSnapshot] = []
        /// Records pulled (also when they were not kept).
        var recordCount = 0
        var cursor: String?
        var pages = 0
        /// Response body bytes as received (compressed, when the server gzipped them).
        var bytes = 0
        /// Response body bytes once inflated (equal to `bytes` when nothing was compressed).
        var decodedBytes = 0
        /// The sum of the requests' times (send to whole answer read).
        var httpSeconds = 0.0
        /// Wall time including decoding each page (what a device waits).
        var wallSeconds = 0.0
        /// Content-Encoding values seen (empty: the server sent every page uncompressed).
        var contentEncodings: Set<String> = []
    }

    /// More pages than this means the feed is not ending: a bug, not a big store.
    static let maxPages = 100_000

    /// - Parameter keepRecords: false to only count them (a catch-up over a million records).
    static func pull(_ device: DeviceClient, from cursor: String?, limit: Int, keepRecords: Bool = true) async throws -> Result {
        var result = Result(cursor: cursor)
        let decoder = WireProtocol.makeDecoder()
        let start = ContinuousClock.now
        for _ in 0..<maxPages {
            let answer = try await device.pull(after: result.cursor, limit: limit)
            guard answer.status == 200 else {
                throw BenchError(
                    "\(device.name): pull after \(result.cursor ?? "start") got HTTP \(answer.status): \(String(decoding: answer.body.prefix(500), as: UTF8.self))"
                )
            }
            result.pages += 1
            result.bytes += answer.body.count
            result.httpSeconds += answer.seconds
            if let encoding = answer.contentEncoding { result.contentEncodings.insert(encoding) }
            let body = try Gzip.inflateIfNeeded(answer.body, contentEncoding: answer.contentEncoding)
            result.decodedBytes += body.count
            let page = try PullPageFastDecoder.decode(body) ?? decoder.decode(PullPage.self, from: body)
            result.recordCount += page.records.count
            if keepRecords { result.records += page.records }
            result.cursor = page.cursor
            if !page.more {
                result.wallSeconds = Elapsed.seconds(since: start)
                return result
            }
        }
        throw BenchError("\(device.name): the feed still said more after \(maxPages) pages.")
    }
}
