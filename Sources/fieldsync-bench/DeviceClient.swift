import FieldSyncProtocol
import Foundation

/// One simulated device: its own connection to the server (see ``TransportKind``) and, once
/// enrolled, its own bearer token. Requests are built from the FieldSyncProtocol wire types.
final class DeviceClient: Sendable {
    let name: String
    let token: String
    private let transport: any DeviceTransport
    /// Whether pulls ask for gzip (`Accept-Encoding: gzip`, bench `--accept-gzip`).
    let acceptGzip: Bool

    static let clientName = "fieldsync-bench/\(FieldSyncVersion.current)"

    private init(name: String, token: String, transport: any DeviceTransport, acceptGzip: Bool) {
        self.name = name
        self.token = token
        self.acceptGzip = acceptGzip
        self.transport = transport
    }

    /// Trades a one-time code for a token over `POST /v1/enrol`, on the connection the device keeps.
    static func enrol(name: String, code: String, port: Int, transport kind: TransportKind, acceptGzip: Bool = false) async throws
        -> DeviceClient
    {
        let transport = Transports.make(kind, port: port)
        let body = try WireProtocol.makeEncoder().encode(EnrolmentRequest(code: code, deviceName: name))
        let answer = try await transport.send(request("POST", "/v1/enrol", token: nil, body: body))
        guard answer.status == 200 else {
            transport.close()
            throw BenchError(
                "Enrolling \(name) failed with HTTP \(answer.status): \(String(decoding: answer.body.prefix(500), as: UTF8.self))")
        }
        let response = try WireProtocol.makeDecoder().decode(EnrolmentResponse.self, from: answer.body)
        return DeviceClient(name: name, token: response.token, transport: transport, acceptGzip: acceptGzip)
    }

    /// `POST /v1/changesets` with an already encoded change set.
    func push(_ body: Data) async throws -> Answer {
        try await transport.send(Self.request("POST", "/v1/changesets", token: token, body: body))
    }

    /// `GET /v1/changes?after=CURSOR&limit=N`.
    func pull(after cursor: String?, limit: Int) async throws -> Answer {
        var components = URLComponents()
        components.path = "/v1/changes"
        components.queryItems =
            (cursor.map { [URLQueryItem(name: "after", value: $0)] } ?? []) + [
                URLQueryItem(name: "limit", value: String(limit))
            ]
        guard let target = components.string else { throw BenchError("Cannot encode the cursor \(cursor ?? "").") }
        let request = Self.request("GET", target, token: token)
        guard acceptGzip else { return try await transport.send(request) }
        return try await transport.send(
            WireRequest(method: request.method, target: request.target, headers: request.headers + [("Accept-Encoding", "gzip")], body: nil)
        )
    }

    func close() { transport.close() }

    static func request(_ method: String, _ target: String, token: String?, body: Data? = nil) -> WireRequest {
        var headers: [(String, String)] = [
            (WireProtocol.versionHeader, String(WireProtocol.version)),
            (WireProtocol.clientHeader, clientName),
            ("Accept", "application/json"),
        ]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return WireRequest(method: method, target: target, headers: headers, body: body)
    }
}

enum Elapsed {
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        seconds(start.duration(to: .now))
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
