import FieldSyncProtocol
import Foundation

/// This device's way to its server for one session: the one place a request is built (address,
/// token, protocol and client headers) and an answer or a failure is turned into the client's
/// terms, over one ``DeviceTransport``. Every request the client makes goes through here.
///
/// Close it with ``close()`` when the session ends (``FieldSyncDevice/withConnection(server:token:_:)``
/// does), so the transport's connection is shut down.
final class ServerConnection: Sendable {
    let baseURL: URL
    let token: String?
    let transport: any DeviceTransport

    static let clientName = "fieldsync-client/\(FieldSyncVersion.current)"

    init(server: String, token: String?, timeout: Duration) throws(ClientError) {
        self.baseURL = try Self.validate(server)
        self.token = token
        self.transport = makePlatformTransport(timeout: timeout)
    }

    /// `URL(string:)` accepts almost anything, so check the scheme and host ourselves.
    static func validate(_ server: String) throws(ClientError) -> URL {
        guard let url = URL(string: server), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw ClientError("invalid_server_url", "'\(server)' is not a server address; write it like http://127.0.0.1:8787")
        }
        return url
    }

    /// Sends one request and reads its whole answer.
    func send(
        _ verb: HTTPVerb, _ path: String, query: [URLQueryItem] = [], body: Data? = nil, headers: [String: String] = [:],
        acceptsGzip: Bool = false
    ) async throws(ClientError) -> TransportAnswer {
        var request = try request(verb, path, query: query, body: body, headers: headers)
        request.acceptsGzip = acceptsGzip
        do { return try await transport.exchange(request) } catch { throw ClientError.unreachable(error, server: baseURL.absoluteString) }
    }

    /// GETs a streamed answer (live sync's server-sent events, the export): each piece of a 200
    /// body goes to `onChunk` as it arrives, until it returns false, the server ends the answer, or
    /// the connection fails; returns the answer (with the body of any other status).
    func stream(
        _ path: String, query: [URLQueryItem], headers: [String: String] = [:], accept: String = "text/event-stream",
        onChunk: @escaping @Sendable (Data) async -> Bool
    ) async throws(ClientError) -> TransportAnswer {
        let request = try request(.get, path, query: query, body: nil, headers: headers, accept: accept)
        do { return try await transport.stream(request, onChunk: onChunk) } catch {
            throw ClientError.unreachable(error, server: baseURL.absoluteString)
        }
    }

    func close() async { await transport.shutdown() }

    private func request(
        _ verb: HTTPVerb, _ path: String, query: [URLQueryItem], body: Data?, headers extra: [String: String],
        accept: String = "application/json"
    ) throws(ClientError) -> TransportRequest {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw ClientError("invalid_server_url", "Cannot build a request URL from \(baseURL).") }
        var headers: [(name: String, value: String)] = [
            (WireProtocol.versionHeader, String(WireProtocol.version)),
            (WireProtocol.clientHeader, Self.clientName),
            ("Accept", accept),
        ]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        headers += extra.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        return TransportRequest(verb: verb, url: url, headers: headers, body: body)
    }

    /// Reads a protocol error body; nil when the body is not one.
    static func errorBody(_ data: Data) -> ErrorBody.Detail? {
        try? WireProtocol.makeDecoder().decode(ErrorBody.self, from: data).error
    }
}
