import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A loopback TCP proxy in front of a server that breaks exchanges the way a bad mobile link
/// does: it cuts the server's answer or the device's request after a number of bytes, holds the
/// answer back, or resets the connection. Point a device at ``url`` (enrol through it) and set
/// ``fault`` before each run; each new connection takes the fault set when it is accepted.
///
/// Plain sockets and a thread per direction, so it shares nothing with the client under test.
public final class FaultProxy: @unchecked Sendable {
    public enum Fault: Sendable, Equatable {
        /// Pass everything.
        case none
        /// Pass the first `after` bytes of the server's answers on a connection, then close it.
        case cutAnswer(after: Int)
        /// Pass the first `after` bytes of the device's requests on a connection, then close it.
        case cutRequest(after: Int)
        /// Hold the server's answer this many seconds before passing it.
        case delayAnswer(seconds: Double)
        /// Reset the connection (TCP RST) once the device has sent part of a request.
        case reset
    }

    public let upstreamPort: Int
    public private(set) var port = 0
    private let listener: Int32
    private let lock = NSLock()
    private var current: Fault = .none
    private var stopped = false

    public var url: String { "http://127.0.0.1:\(port)" }

    public var fault: Fault {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }

    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw WorldError("proxy: no socket") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw WorldError("proxy: cannot listen on loopback")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting; connections under way end with their peers.
    public func stop() {
        let wasRunning = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard wasRunning else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    /// Ends when the listener is closed (``stop()``).
    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            let fault = self.fault
            Thread.detachNewThread { [self] in serve(client, fault) }
        }
    }

    private func serve(_ client: Int32, _ fault: Fault) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard upstream >= 0, connected == 0 else {
            close(client)
            if upstream >= 0 { close(upstream) }
            return
        }
        if fault == .reset {
            var buffer = [UInt8](repeating: 0, count: 64)
            _ = recv(client, &buffer, buffer.count, 0)
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            close(client)
            close(upstream)
            return
        }
        let link = Link(client: client, upstream: upstream)
        var requestLimit: Int?
        var answerLimit: Int?
        var answerDelay: Double?
        switch fault {
        case .cutRequest(let after): requestLimit = after
        case .cutAnswer(let after): answerLimit = after
        case .delayAnswer(let seconds): answerDelay = seconds
        case .none, .reset: break
        }
        let upstreamLimit = requestLimit
        Thread.detachNewThread { link.pump(from: client, to: upstream, limit: upstreamLimit, delay: nil) }
        link.pump(from: upstream, to: client, limit: answerLimit, delay: answerDelay)
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// One proxied connection: two pumps, and the sockets closed once both have ended.
private final class Link: @unchecked Sendable {
    let client: Int32
    let upstream: Int32
    private let lock = NSLock()
    private var ended = 0

    init(client: Int32, upstream: Int32) {
        self.client = client
        self.upstream = upstream
    }

    /// Copies bytes until end of stream, or until `limit` bytes have passed (then both sides are
    /// cut). With `delay`, the first bytes are held that many seconds.
    func pump(from source: Int32, to target: Int32, limit: Int?, delay: Double?) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var passed = 0
        var waited = delay == nil
        // Bounded by the stream: ends at its end, on an error, or at the limit.
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            if count <= 0 { break }
            if !waited {
                usleep(useconds_t((delay ?? 0) * 1_000_000))
                waited = true
            }
            let allowed = limit.map { min(count, $0 - passed) } ?? count
            if allowed > 0, !sendAll(target, buffer, allowed) { break }
            passed += allowed
            if let limit, passed >= limit {
                cutBoth()
                break
            }
        }
        shutdown(target, Int32(SHUT_WR))
        lock.withLock {
            ended += 1
            if ended == 2 {
                close(client)
                close(upstream)
            }
        }
    }

    private func cutBoth() {
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
    }

    private func sendAll(_ socket: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var sent = 0
        // Bounded: each round sends at least one byte or stops.
        while sent < count {
            let n = buffer.withUnsafeBytes { send(socket, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}
