import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client on one blocking keep-alive TCP connection to the loopback server.
///
/// Each device has its own serial queue (libdispatch gives a blocked serial queue its own thread),
/// so a device waiting for its answer sits in `recv` and uses no CPU. Everything mutable is only
/// touched on that queue.
final class SocketTransport: DeviceTransport, @unchecked Sendable {
    let host: String
    let port: Int
    private let queue: DispatchQueue
    private var fd: Int32 = -1
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 256 * 1024)

    static let maxHeaderBytes = 64 * 1024
    static let maxBodyBytes = 512 * 1024 * 1024
    static let timeoutSeconds = 120

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        queue = DispatchQueue(label: "fieldsync-bench.socket.\(port)")
    }

    func send(_ request: WireRequest) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.exchange(request) })
            }
        }
    }

    func close() {
        queue.sync { self.disconnect() }
    }

    // MARK: on the queue

    private func exchange(_ request: WireRequest) throws -> Answer {
        let bytes = serialise(request)
        let reused = fd >= 0
        let start = ContinuousClock.now
        do {
            return try roundTrip(bytes, start: start)
        } catch let error as ConnectionLost where reused && !error.gotAnswerBytes {
            // The server closed the idle keep-alive connection: once more on a new one.
            disconnect()
            return try roundTrip(bytes, start: ContinuousClock.now)
        }
    }

    private func roundTrip(_ bytes: [UInt8], start: ContinuousClock.Instant) throws -> Answer {
        if fd < 0 { try connect() }
        try writeAll(bytes)
        let (status, headers, body) = try readResponse()
        let seconds = Elapsed.seconds(since: start)
        if headers["connection"]?.lowercased() == "close" { disconnect() }
        return Answer(status: status, body: body, seconds: seconds, contentEncoding: headers["content-encoding"])
    }

    private func serialise(_ request: WireRequest) -> [UInt8] {
        var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        if let body = request.body {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body = request.body { bytes.append(contentsOf: body) }
        return bytes
    }

    private struct ConnectionLost: Error, CustomStringConvertible {
        let gotAnswerBytes: Bool
        let what: String
        var description: String { "connection to the server lost: \(what)" }
    }

    private func connect() throws {
        fd = try Self.openSocket(host: host, port: port, timeoutSeconds: Self.timeoutSeconds)
        pending = []
    }

    /// A blocking TCP connection to the loopback server (never any other address), with
    /// TCP_NODELAY and read and write time limits.
    static func openSocket(host: String, port: Int, timeoutSeconds: Int) throws -> Int32 {
        guard host == ServerProcess.host else { throw BenchError("Refusing to connect to \(host): loopback only.") }
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw BenchError("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(socketFD)
            throw BenchError("Bad address \(host)")
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(socketFD)
            throw BenchError("Cannot connect to \(host):\(port): errno \(code)")
        }
        var one: Int32 = 1
        _ = setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socketFD
    }

    private func disconnect() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
        pending = []
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                disconnect()
                throw ConnectionLost(gotAnswerBytes: false, what: "send failed, errno \(code)")
            }
            offset += written
        }
    }

    /// Reads more bytes into `pending`; false at end of stream.
    private func fill() throws -> Bool {
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                pending.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            let code = errno
            throw BenchError(
                code == EAGAIN || code == EWOULDBLOCK ? "no answer within \(Self.timeoutSeconds) s" : "recv failed, errno \(code)")
        }
    }

    private func readResponse() throws -> (Int, [String: String], Data) {
        // Head: up to the blank line.
        var headEnd: Int?
        var searchFrom = 0
        while headEnd == nil {
            if let end = Self.find([13, 10, 13, 10], in: pending, from: searchFrom) {
                headEnd = end
                break
            }
            searchFrom = max(0, pending.count - 3)
            guard pending.count < Self.maxHeaderBytes else { throw BenchError("answer head larger than \(Self.maxHeaderBytes) bytes") }
            let hadBytes = !pending.isEmpty
            guard try fill() else {
                disconnect()
                throw ConnectionLost(gotAnswerBytes: hadBytes, what: "closed before the answer head")
            }
        }
        let end = headEnd!
        let head = String(decoding: pending[0..<end], as: UTF8.self)
        pending.removeFirst(end + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let statusParts = statusLine.split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw BenchError("not an HTTP/1.x answer: \(statusLine)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }

        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try readChunkedBody()
        } else if let text = headers["content-length"] {
            guard let length = Int(text), (0...Self.maxBodyBytes).contains(length) else {
                throw BenchError("bad Content-Length \(text)")
            }
            try need(length)
            body = Array(pending[0..<length])
            pending.removeFirst(length)
        } else if status == 204 || status == 304 || (100..<200).contains(status) {
            body = []
        } else {
            // No length: the body runs to the end of the connection.
            while try fill() {
                guard pending.count <= Self.maxBodyBytes else { throw BenchError("answer body too large") }
            }
            body = pending
            disconnect()
        }
        return (status, headers, Data(body))
    }

    /// Makes sure `pending` holds at least `count` bytes.
    private func need(_ count: Int) throws {
        while pending.count < count {
            guard try fill() else {
                disconnect()
                throw ConnectionLost(gotAnswerBytes: true, what: "closed in the middle of an answer")
            }
        }
    }

    private func readLine() throws -> String {
        var searchFrom = 0
        while true {
            if let end = Self.find([13, 10], in: pending, from: searchFrom) {
                let line = String(decoding: pending[0..<end], as: UTF8.self)
                pending.removeFirst(end + 2)
                return line
            }
            searchFrom = max(0, pending.count - 1)
            guard pending.count < Self.maxHeaderBytes else { throw BenchError("chunk line too long") }
            guard try fill() else {
                disconnect()
                throw ConnectionLost(gotAnswerBytes: true, what: "closed in a chunked answer")
            }
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        for _ in 0..<10_000_000 {
            let sizeText = try readLine().split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0,
                body.count + size <= Self.maxBodyBytes
            else { throw BenchError("bad chunk size '\(sizeText)'") }
            if size == 0 {
                // Trailers, up to the blank line.
                while try !readLine().isEmpty {}
                return body
            }
            try need(size + 2)
            body.append(contentsOf: pending[0..<size])
            pending.removeFirst(size + 2)
        }
        throw BenchError("too many chunks")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] {
                var match = true
                for j in 1..<needle.count where haystack[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}
