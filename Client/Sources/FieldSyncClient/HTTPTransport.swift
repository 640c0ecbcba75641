import FieldSyncProtocol
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Talks HTTP to a FieldSync server through URLSession (libcurl on Linux), so the same client
/// library ships in an Apple-platform app.
final class HTTPTransport: Sendable {
    let baseURL: URL
    let token: String?
    let session: URLSession

    static let clientName = "fieldsync-client/\(FieldSyncVersion.current)"

    init(server: String, token: String?, timeout: TimeInterval = 30) throws(ClientError) {
        self.baseURL = try Self.validate(server)
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 2
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: configuration)
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

    struct Answer {
        let status: Int
        let body: Data
    }

    func send(
        _ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil, headers: [String: String] = [:]
    ) async throws(ClientError) -> Answer {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        guard let url = components?.url else { throw ClientError("invalid_server_url", "Cannot build a request URL from \(baseURL).") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(String(WireProtocol.version), forHTTPHeaderField: WireProtocol.versionHeader)
        request.setValue(Self.clientName, forHTTPHeaderField: WireProtocol.clientHeader)
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        // Pull pages come gzipped when asked (WIRE-PROTOCOL.md §1); URLSession inflates them
        // (libcurl on Linux), so `data` below is the JSON. Another transport must inflate itself.
        request.setValue("gzip", forHTTPHeaderField: "Accept-Encoding")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        do {
            let (data, response) = try await session.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            return Answer(status: status, body: data)
        } catch let error as URLError {
            throw ClientError("server_unreachable", Self.sentence(for: error, url: baseURL))
        } catch {
            throw ClientError("server_unreachable", "Cannot reach the server at \(baseURL.absoluteString): \(error.localizedDescription)")
        }
    }

    static func sentence(for error: URLError, url: URL) -> String {
        let server = url.absoluteString
        switch error.code {
        case .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet:
            return "Cannot reach the server at \(server) (no connection). Your edits are kept on this device; sync again when you have a signal."
        case .timedOut:
            return "The server at \(server) did not answer in time. Your edits are kept on this device; sync again later."
        case .cannotFindHost, .dnsLookupFailed:
            return "Cannot find the server \(server); check the address. Your edits are kept on this device."
        default:
            return "Cannot talk to the server at \(server) (\(error.code.rawValue)). Your edits are kept on this device."
        }
    }

    /// Reads a protocol error body; nil when the body is not one.
    static func errorBody(_ data: Data) -> ErrorBody.Detail? {
        try? WireProtocol.makeDecoder().decode(ErrorBody.self, from: data).error
    }
}
