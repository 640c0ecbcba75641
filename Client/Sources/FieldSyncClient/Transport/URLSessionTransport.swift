#if canImport(Darwin)
    import Foundation

    /// The Apple-platform transport: URLSession, so a device app keeps the system's networking
    /// (cellular rules, proxies, background sessions). One ephemeral session per device session.
    final class URLSessionTransport: DeviceTransport {
        private let session: URLSession
        private let timeout: TimeInterval

        init(timeout: Duration) {
            self.timeout = TimeInterval(timeout.components.seconds) + TimeInterval(timeout.components.attoseconds) / 1e18
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForRequest = self.timeout
            configuration.httpMaximumConnectionsPerHost = 1
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            session = URLSession(configuration: configuration)
        }

        func exchange(_ request: TransportRequest) async throws(TransportFailure) -> TransportAnswer {
            do {
                let (data, response) = try await session.data(for: Self.urlRequest(request))
                guard data.count <= maxAnswerBytes else { throw TransportFailure.answerTooLarge(limit: maxAnswerBytes) }
                return Self.answer(response, body: data)
            } catch {
                throw Self.failure(error)
            }
        }

        func download(_ request: TransportRequest, into file: FileHandle) async throws(TransportFailure) -> TransportAnswer {
            let streaming = StreamingDownload(into: file)
            let downloads = URLSession(configuration: session.configuration, delegate: streaming, delegateQueue: nil)
            defer { downloads.finishTasksAndInvalidate() }
            do {
                let (response, errorBody) = try await streaming.run(Self.urlRequest(request), in: downloads)
                return Self.answer(response, body: errorBody)
            } catch {
                throw Self.failure(error)
            }
        }

        func stream(_ request: TransportRequest, onChunk: @escaping @Sendable (Data) async -> Bool) async throws(TransportFailure)
            -> TransportAnswer
        {
            do {
                // `timeoutIntervalForRequest` is the longest silence between two pieces of the answer.
                let (bytes, response) = try await session.bytes(for: Self.urlRequest(request))
                guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                    var body = Data()
                    for try await byte in bytes {
                        guard body.count < maxAnswerBytes else { throw TransportFailure.answerTooLarge(limit: maxAnswerBytes) }
                        body.append(byte)
                    }
                    return Self.answer(response, body: body)
                }
                // Server-sent events are lines: hand them on a line at a time.
                var line = Data()
                for try await byte in bytes {
                    line.append(byte)
                    guard byte == UInt8(ascii: "\n") || line.count >= 65_536 else { continue }
                    if await !onChunk(line) { break }
                    line.removeAll(keepingCapacity: true)
                }
                return Self.answer(response, body: Data())
            } catch {
                throw Self.failure(error)
            }
        }

        func shutdown() async { session.finishTasksAndInvalidate() }

        private static func urlRequest(_ request: TransportRequest) -> URLRequest {
            var out = URLRequest(url: request.url)
            out.httpMethod = request.verb.rawValue
            for header in request.headers { out.setValue(header.value, forHTTPHeaderField: header.name) }
            // URLSession asks for and decompresses gzip by itself: `acceptsGzip` needs nothing here.
            out.httpBody = request.body
            return out
        }

        private static func answer(_ response: URLResponse?, body: Data) -> TransportAnswer {
            let http = response as? HTTPURLResponse
            let headers = (http?.allHeaderFields ?? [:]).map { (name: "\($0.key)", value: "\($0.value)") }
            return TransportAnswer(status: http?.statusCode ?? 0, headers: headers, body: body)
        }

        static func failure(_ error: any Error) -> TransportFailure {
            if let failure = error as? TransportFailure { return failure }
            guard let error = error as? URLError else { return .connectionLost }
            switch error.code {
            case .cannotConnectToHost, .notConnectedToInternet: return .cannotConnect
            case .timedOut: return .timedOut
            case .cannotFindHost, .dnsLookupFailed: return .cannotFindHost
            default: return .connectionLost
            }
        }
    }

    /// Streams a 200 body straight into a file as it arrives (`URLSession.data(for:)` would hold it all).
    private final class StreamingDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        private let handle: FileHandle
        private let lock = NSLock()
        private var response: URLResponse?
        private var errorBody = Data()
        private var writeFailure: String?
        private var continuation: CheckedContinuation<(URLResponse?, Data), any Error>?

        init(into handle: FileHandle) { self.handle = handle }

        func run(_ request: URLRequest, in session: URLSession) async throws -> (URLResponse?, Data) {
            try await withCheckedThrowingContinuation { continuation in
                lock.withLock { self.continuation = continuation }
                session.dataTask(with: request).resume()
            }
        }

        func urlSession(
            _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
            completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
        ) {
            lock.withLock { self.response = response }
            completionHandler(.allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            lock.withLock {
                guard (response as? HTTPURLResponse)?.statusCode == 200 else { return errorBody.append(data) }
                do { try handle.write(contentsOf: data) } catch { writeFailure = "\(error)" }
            }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            let (continuation, response, body, writeFailure) = lock.withLock {
                defer { self.continuation = nil }
                return (self.continuation, self.response, self.errorBody, self.writeFailure)
            }
            if let writeFailure {
                continuation?.resume(throwing: TransportFailure.unwritableFile(writeFailure))
            } else if let error {
                continuation?.resume(throwing: error)
            } else {
                continuation?.resume(returning: (response, body))
            }
        }
    }
#endif
