#if !canImport(Darwin)
    import AsyncHTTPClient
    import Foundation
    import NIOCore
    import NIOHTTP1
    import NIOHTTPCompression
    import NIOPosix

    /// The Linux transport: AsyncHTTPClient on NIO's shared event loops. One `HTTPClient` per device
    /// session, keeping one HTTP/1.1 connection alive across the session's requests.
    ///
    /// `timeout` is the longest the server may stay quiet (connecting, or between two reads of an
    /// answer); a whole exchange has a generous deadline on top, so a stalled trickle ends too.
    final class AsyncHTTPTransport: DeviceTransport {
        private let client: HTTPClient
        private let timeout: TimeAmount

        init(timeout: Duration) {
            let amount = TimeAmount.nanoseconds(
                Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
            self.timeout = amount
            let configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: amount, read: amount),
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1),
                // Only used when a request asks for gzip (``TransportRequest/acceptsGzip``).
                decompression: .enabled(limit: .ratio(200)))
            var tuned = configuration
            tuned.httpVersion = .http1Only
            // A refused connection fails the request at once (the device is offline: say so), rather
            // than being retried with backoff until the deadline.
            tuned.connectionPool.retryConnectionEstablishment = false
            client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: tuned)
        }

        func exchange(_ request: TransportRequest) async throws(TransportFailure) -> TransportAnswer {
            do {
                let response = try await client.execute(Self.clientRequest(request), deadline: deadline)
                let body = try await response.body.collect(upTo: maxAnswerBytes)
                return TransportAnswer(
                    status: Int(response.status.code), headers: Self.headers(response), body: Data(body.readableBytesView))
            } catch {
                throw Self.failure(error)
            }
        }

        func stream(_ request: TransportRequest, onChunk: @escaping @Sendable (Data) async -> Bool) async throws(TransportFailure)
            -> TransportAnswer
        {
            do {
                // The read timeout (`timeout`) finds a silent connection; the deadline only bounds the whole.
                let response = try await client.execute(
                    Self.clientRequest(request), deadline: .now() + .seconds(maxStreamDuration.components.seconds))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: maxAnswerBytes)
                    return TransportAnswer(
                        status: Int(response.status.code), headers: Self.headers(response), body: Data(body.readableBytesView))
                }
                for try await chunk in response.body {
                    if await !onChunk(Data(chunk.readableBytesView)) { break }
                }
                return TransportAnswer(status: 200, headers: Self.headers(response), body: Data())
            } catch {
                throw Self.failure(error)
            }
        }

        func shutdown() async {
            // Nothing is in flight when a session ends; a failure to close cleanly leaves nothing to do.
            try? await client.shutdown()
        }

        /// Ample for any answer; `timeout` ends a silent server long before.
        private var deadline: NIODeadline { .now() + max(timeout * 20, .minutes(10)) }

        private static func clientRequest(_ request: TransportRequest) -> HTTPClientRequest {
            var out = HTTPClientRequest(url: request.url.absoluteString)
            out.method = request.verb == .post ? .POST : .GET
            for header in request.headers { out.headers.add(name: header.name, value: header.value) }
            if request.acceptsGzip { out.headers.replaceOrAdd(name: "Accept-Encoding", value: "gzip") }
            if let body = request.body { out.body = .bytes(ByteBuffer(bytes: body)) }
            return out
        }

        private static func headers(_ response: HTTPClientResponse) -> [(name: String, value: String)] {
            response.headers.map { (name: $0.name, value: $0.value) }
        }

        /// AsyncHTTPClient's and NIO's errors, sorted into the transport's few kinds.
        static func failure(_ error: any Error) -> TransportFailure {
            if let failure = error as? TransportFailure { return failure }
            if let error = error as? HTTPClientError {
                switch error {
                case .connectTimeout, .getConnectionFromPoolTimeout: return .cannotConnect
                case .readTimeout, .writeTimeout, .deadlineExceeded: return .timedOut
                default: return .connectionLost
                }
            }
            if let error = error as? NIOConnectionError {
                return error.connectionErrors.isEmpty && (error.dnsAError != nil || error.dnsAAAAError != nil)
                    ? .cannotFindHost : .cannotConnect
            }
            if error is NIOTooManyBytesError { return .answerTooLarge(limit: maxAnswerBytes) }
            if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) { return .cannotConnect }
            if let error = error as? ChannelError, case .connectTimeout = error { return .cannotConnect }
            // A reset, a parser error on a cut answer, an early close: the exchange broke on the way.
            return .connectionLost
        }
    }
#endif
