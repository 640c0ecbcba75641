import Foundation

/// The HTTP methods the device uses.
enum HTTPVerb: String, Sendable {
    case get = "GET"
    case post = "POST"
}

/// One request as a transport carries it: everything already decided (address, headers, body)
/// by ``ServerConnection``, the one place that builds requests.
struct TransportRequest: Sendable {
    let verb: HTTPVerb
    let url: URL
    let headers: [(name: String, value: String)]
    let body: Data?
    /// Ask for a gzip-compressed answer; the transport decompresses it before returning the body.
    var acceptsGzip = false
}

/// What the server answered.
struct TransportAnswer: Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
    /// The whole body; for a stream, the body of a non-200 answer only (a 200 body went to the callback).
    let body: Data

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// Why an exchange did not give an answer, whatever the transport underneath. One list, so every
/// transport's failures map to the same ``ClientError``s (see ``ClientError/unreachable(_:server:)``).
enum TransportFailure: Error, Sendable, Equatable {
    /// No connection could be made (refused, no route, connect timed out).
    case cannotConnect
    /// The connection broke while the request was sent or before the answer was complete.
    case connectionLost
    /// The server went quiet for longer than the timeout.
    case timedOut
    /// The host name could not be resolved.
    case cannotFindHost
    /// The answer was larger than the device reads into memory.
    case answerTooLarge(limit: Int)
}

/// How the device talks HTTP. AsyncHTTPClient on Linux (it waits on the event loop instead of
/// spinning, and never hits FoundationNetworking's "no response" trap); URLSession on Apple
/// platforms. One transport serves one device session: its connection is reused across the
/// session's requests, and ``shutdown()`` closes it.
protocol DeviceTransport: Sendable {
    /// Sends a request and reads the whole answer (at most ``maxAnswerBytes``).
    func exchange(_ request: TransportRequest) async throws(TransportFailure) -> TransportAnswer

    /// Sends a request whose answer is a stream (live sync's server-sent events, the export): a 200 answer's
    /// body goes to `onChunk` piece by piece as it arrives, until `onChunk` returns false, the
    /// server ends the answer, the connection breaks, the server is silent for longer than the
    /// transport's timeout, or the calling task is cancelled. Any other answer is returned whole.
    func stream(_ request: TransportRequest, onChunk: @escaping @Sendable (Data) async -> Bool) async throws(TransportFailure)
        -> TransportAnswer

    /// Closes the connections and releases the transport. Called once, at the end of a session.
    func shutdown() async
}

/// The largest answer read into memory: a pull page at the largest page size is far below it.
let maxAnswerBytes = 256 * 1024 * 1024

/// The longest one streamed answer may last: far past any server's watch lifetime (at most an hour).
let maxStreamDuration = Duration.seconds(2 * 3600)

/// The transport for this platform.
func makePlatformTransport(timeout: Duration) -> any DeviceTransport {
    #if canImport(Darwin)
        URLSessionTransport(timeout: timeout)
    #else
        AsyncHTTPTransport(timeout: timeout)
    #endif
}
