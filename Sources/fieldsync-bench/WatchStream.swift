import FieldSyncProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One raw live-sync connection (`GET /v1/changes/watch`) on a blocking loopback socket, read
/// on a thread of its own: the HTTP head, then the chunked body, through the same server-sent
/// event parser the client library uses. Each `poke` is one element of ``pokes`` (a poke that
/// arrives while the last one is not yet taken is merged into it, as the client library does).
final class WatchStream: Sendable {
    private let fd: Int32
    let name: String
    let pokes: AsyncStream<Void>
    private let poke: AsyncStream<Void>.Continuation
    private let state = Mutex(Status())

    private struct Status {
        var ready = false
        var ended: String?
        /// The reading thread closes the socket when it ends; ``close()`` only shuts it down before.
        var open = true
    }

    /// Heartbeats come every 15 s; a minute of silence means the connection is dead.
    static let timeoutSeconds = 60

    init(name: String, port: Int, token: String, after cursor: String?) throws {
        self.name = name
        fd = try SocketTransport.openSocket(host: ServerProcess.host, port: port, timeoutSeconds: Self.timeoutSeconds)
        (pokes, poke) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var components = URLComponents()
        components.path = "/" + LiveSync.path
        components.queryItems = [URLQueryItem(name: "after", value: cursor ?? "")]
        let request =
            "GET \(components.string ?? components.path) HTTP/1.1\r\nHost: \(ServerProcess.host)\r\n"
            + "\(WireProtocol.versionHeader): \(WireProtocol.version)\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n"
        let bytes = Array(request.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else {
            Glibc.close(fd)
            throw BenchError("\(name): the watch request could not be sent (errno \(errno)).")
        }
        let thread = Thread { [self] in self.read() }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    var isReady: Bool { state.withLock { $0.ready } }
    var ended: String? { state.withLock { $0.ended } }

    /// Ends the connection: the reading thread sees the end, closes the socket and finishes ``pokes``.
    /// Safe to call more than once, and after the thread has ended.
    func close() {
        state.withLock { status in
            if status.open { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    // MARK: on the reading thread

    private func read() {
        var reader = BlockingReader(fd: fd)
        var parser = ServerSentEventParser()
        defer {
            poke.finish()
            state.withLock { status in
                status.open = false
                Glibc.close(fd)
            }
        }
        do {
            let status = try reader.line()
            guard status.hasPrefix("HTTP/1.1 200") else { return end("the watch was answered \(status)") }
            var chunked = false
            // Bounded: a head has at most a few dozen lines.
            for _ in 0..<200 {
                let header = try reader.line()
                if header.isEmpty { break }
                if header.lowercased().hasPrefix("transfer-encoding:") && header.lowercased().contains("chunked") { chunked = true }
            }
            guard chunked else { return end("the watch answer was not chunked") }
            // Bounded by the connection: each round reads one chunk, and the server ends every watch.
            while true {
                guard let size = Int(try reader.line().split(separator: ";").first ?? "", radix: 16) else {
                    return end("a chunk size could not be read")
                }
                if size == 0 { return end("the server ended the watch") }
                let data = try reader.bytes(size)
                _ = try reader.line()
                for event in try parser.feed(data) {
                    switch LiveSync.Event(rawValue: event.name) {
                    case .ready?: state.withLock { $0.ready = true }
                    case .poke?: poke.yield()
                    case .end?, .refused?: return end("\(event.name): \(event.data)")
                    case nil: continue
                    }
                }
            }
        } catch {
            end("\(error)")
        }
    }

    private func end(_ why: String) {
        state.withLock { $0.ended = why }
    }
}

/// Line and byte reads over a blocking socket, with what was read ahead kept.
private struct BlockingReader {
    let fd: Int32
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    init(fd: Int32) { self.fd = fd }

    struct Ended: Error, CustomStringConvertible {
        let description: String
    }

    mutating func line() throws -> String {
        // Bounded: a line longer than 64 KiB is not one the server writes.
        while pending.count < 65_536 {
            if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[..<end])
                pending.removeFirst(end + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
        throw Ended(description: "a line longer than 64 KiB")
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        while pending.count < count { try fill() }
        let out = Array(pending[..<count])
        pending.removeFirst(count)
        return out
    }

    private mutating func fill() throws {
        let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
        if n < 0 && errno == EINTR { return }
        guard n > 0 else { throw Ended(description: n == 0 ? "the connection ended" : "recv failed, errno \(errno)") }
        pending.append(contentsOf: chunk[..<n])
    }
}
