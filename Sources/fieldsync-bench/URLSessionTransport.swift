import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A device's URLSession, limited to one connection to the host, so it keeps one keep-alive
/// connection of its own.
final class URLSessionTransport: DeviceTransport {
    let session: URLSession
    let origin: String

    init(host: String, port: Int) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 1
        configuration.timeoutIntervalForRequest = 120
        configuration.timeoutIntervalForResource = 300
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
        origin = "http://\(host):\(port)"
    }

    func send(_ wire: WireRequest) async throws -> Answer {
        guard let url = URL(string: origin + wire.target), url.host == ServerProcess.host else {
            throw BenchError("Cannot make a loopback URL of \(wire.target).")
        }
        var request = URLRequest(url: url)
        request.httpMethod = wire.method
        for (name, value) in wire.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = wire.body
        let start = ContinuousClock.now
        let (data, response) = try await session.data(for: request)
        let seconds = Elapsed.seconds(since: start)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0, body: data, seconds: seconds,
            contentEncoding: http?.value(forHTTPHeaderField: "Content-Encoding"))
    }

    func close() { session.finishTasksAndInvalidate() }
}
