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
#endif
