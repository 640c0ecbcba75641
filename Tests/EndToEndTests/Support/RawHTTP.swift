import FieldSyncTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking loopback TCP connection that speaks HTTP/1.1 by hand, for the tests that need what
/// no HTTP library sends: a lying `Content-Length`, a broken chunk size, headers one byte at a
/// time, a socket that says nothing. Every read and write has a time limit, so no test can hang.
final class RawHTTP {
    let fd: Int32

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any]).flatMap {
                ($0["error"] as? [String: Any])?["code"] as? String
            }
        }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address, e.g. 127.0.0.2) if given.
    init(port: Int, source: String? = nil, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WorldError("socket() failed: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = Self.address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw WorldError("bind to \(source) failed: \(errno)")
            }
        }
        var remote = Self.address("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw WorldError("connect to port \(port) failed: \(errno)")
        }
    }

    deinit { close(fd) }

    private static func address(_ host: String, port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    /// Writes all of `data`; false if the peer closed or reset the connection first.
    @discardableResult
    func sendAll(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    @discardableResult
    func sendAll(_ text: String) -> Bool { sendAll(Data(text.utf8)) }

    /// Reads one response (headers, then a `Content-Length` body). Nil if the connection ended
    /// or the time limit passed before a whole response arrived.
    func readResponse() -> Response? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Data("\r\n\r\n".utf8)
        for _ in 0..<100_000 {
            if let end = buffer.range(of: separator) {
                let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                var body = Data(buffer[end.upperBound...])
                while body.count < length {
                    let n = recv(fd, &chunk, chunk.count, 0)
                    if n <= 0 { return nil }
                    body.append(contentsOf: chunk[0..<n])
                }
                return Response(status: status, headers: headers, body: body.prefix(length))
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
        return nil
    }

    /// Bytes ``read(until:)`` read past what it returned, for its next call.
    private var unread = Data()

    /// Reads until `marker` has arrived and returns everything up to it and including it (nil if
    /// the connection ended or the time limit passed first); what came after is kept for the next
    /// call. For a streamed answer (a live-sync watch), read from its first byte.
    func read(until marker: String) -> String? {
        let needle = Data(marker.utf8)
        var chunk = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 {
            if let range = unread.range(of: needle) {
                let text = String(decoding: unread[..<range.upperBound], as: UTF8.self)
                unread = Data(unread[range.upperBound...])
                return text
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            unread.append(contentsOf: chunk[0..<n])
        }
        return nil
    }

    /// Reads and drops until the server ends the connection; true if it did within the time limit.
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<100_000 {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
        return false
    }

    /// Whether the server has ended the connection (or sent something) by now, without waiting.
    func hasEnded() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1)
        let n = recv(fd, &chunk, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        return true
    }
}
