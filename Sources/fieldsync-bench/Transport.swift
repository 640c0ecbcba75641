import Foundation

/// How a simulated device talks HTTP: URLSession (what the FieldSync client library uses), or a
/// plain blocking socket with a minimal HTTP/1.1 client.
///
/// The second exists because URLSession on Linux (swift-corelibs-foundation over libcurl) spins
/// while it waits for the answer to a request that had a body: after the upload it keeps a
/// dispatch write source on the always-writable socket, so each waiting POST costs CPU. On a
/// 2-core machine that takes CPU from the server being measured; the socket client waits in a
/// blocking read and costs nothing while it waits.
enum TransportKind: String, CaseIterable, Sendable, Codable {
    case urlsession
    case socket
}

/// One HTTP request as the devices send them.
struct WireRequest: Sendable {
    let method: String
    /// The path and query, already percent-encoded, e.g. `/v1/changes?after=fs1.a&limit=1000`.
    let target: String
    let headers: [(String, String)]
    let body: Data?
}

/// A timed answer: status, body and the time from sending to having read the whole body.
struct Answer: Sendable {
    let status: Int
    let body: Data
    let seconds: Double
    let contentEncoding: String?
}

/// One device's connection to the server.
protocol DeviceTransport: Sendable {
    func send(_ request: WireRequest) async throws -> Answer
    func close()
}

enum Transports {
    /// A transport to the loopback server at `port`: never any other address.
    static func make(_ kind: TransportKind, port: Int) -> any DeviceTransport {
        switch kind {
        case .urlsession: URLSessionTransport(host: ServerProcess.host, port: port)
        case .socket: SocketTransport(host: ServerProcess.host, port: port)
        }
    }
}
