import FieldSyncProtocol
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Streams an HTTP response body straight into a file as it arrives, so a 100,000-record export
/// never sits in memory whole (`URLSession.data(for:)` would hold it all).
final class StreamingDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    private var status = 0
    private var errorBody = Data()
    private var continuation: CheckedContinuation<(Int, Data), any Error>?

    init(into handle: FileHandle) {
        self.handle = handle
    }

    /// Runs the request; returns the status, and the body when it is an error (not written to the file).
    func run(_ request: URLRequest, timeout: TimeInterval) async throws -> (Int, Data) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { continuation in
            lock.withLock { self.continuation = continuation }
            session.dataTask(with: request).resume()
        }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        lock.withLock { status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.withLock {
            if status == 200 { handle.write(data) } else { errorBody.append(data) }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (continuation, status, body) = lock.withLock { () -> (CheckedContinuation<(Int, Data), any Error>?, Int, Data) in
            defer { self.continuation = nil }
            return (self.continuation, self.status, self.errorBody)
        }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume(returning: (status, body)) }
    }
}

/// Reads a file line by line in fixed-size chunks (constant memory).
struct LineReader {
    let handle: FileHandle
    var buffer = Data()
    var finished = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return Data(line)
            }
            if finished {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return buffer
            }
            let chunk = handle.readData(ofLength: 256 * 1024)
            if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
        }
    }
}
