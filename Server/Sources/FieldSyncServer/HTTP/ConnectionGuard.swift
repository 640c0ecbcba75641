import FieldSyncProtocol
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Limits every connection keeps before a request reaches a route (WIRE-PROTOCOL.md §1).
public struct ConnectionLimits: Sendable {
    /// The largest request body; a larger declared `Content-Length` is refused before the body is read.
    public var maxBodyBytes: Int
    /// How long a request's headers may take to arrive once its first byte has.
    public var headerReadTimeout: TimeAmount
    /// After an early refusal, how much of the unwanted body is read and dropped, and for how
    /// long, so that a client which writes its whole body before it reads still gets the answer.
    public var drainBytes: Int
    public var drainTimeout: TimeAmount

    public init(maxBodyBytes: Int, headerReadTimeout: TimeAmount = .seconds(10), drainTimeout: TimeAmount = .seconds(5)) {
        self.maxBodyBytes = maxBodyBytes
        self.headerReadTimeout = headerReadTimeout
        self.drainBytes = max(16 * 1024 * 1024, 4 * maxBodyBytes)
        self.drainTimeout = drainTimeout
    }
}

/// Guards each HTTP/1 connection between the parser and Hummingbird's request loop, so no
/// client can hold a connection or the server's answer hostage:
///
/// - a declared `Content-Length` over the limit is answered `413` at once, without reading the body;
/// - a body that grows past the limit while streaming stops being passed on (the route's bounded
///   read fails with `413`);
/// - whenever an answer is written before its request was read to the end (an early refusal),
///   it carries `Connection: close`; then the server stops writing, reads and drops the rest of
///   the body within a bound (bytes and time), and closes. A client that writes everything
///   before it reads (Python's urllib, for one) so reads the answer instead of hanging;
/// - broken HTTP framing before a route has the request is answered `400 malformed_request`
///   (inside a body, the route's read fails and the error middleware answers the same);
/// - a request's headers must arrive within ``ConnectionLimits/headerReadTimeout`` of its first
///   byte (`408`, then closed); idle connections are closed by Hummingbird's idle timeout.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Closing {
        /// Close once the answer in progress (or a refusal queued behind it) is written.
        case afterResponse
        /// The last answer is written: input is read and dropped until the bound, then closed.
        case draining
    }

    private let limits: ConnectionLimits
    private var context: ChannelHandlerContext?
    /// A request head was received and its end not yet.
    private var requestOpen = false
    private var bodyBytes = 0
    /// Heads passed to the routes whose answers have not ended yet.
    private var responsesPending = 0
    private var closing: Closing?
    /// A refusal written by this handler, waiting for an earlier (pipelined) answer to end.
    private var queuedRefusal: (HTTPResponse, ByteBuffer)?
    private var drained = 0
    /// No head has started since the last request ended (or the connection opened).
    private var awaitingHead = true
    private var headerTimer: Scheduled<Void>?
    private var drainTimer: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The header timer needs to see bytes before the parser makes a head of them.
        try? context.pipeline.syncOperations.addHandler(RawBytesObserver(owner: self), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(var head):
            headerTimer?.cancel()
            headerTimer = nil
            awaitingHead = false
            guard closing == nil else { return drop(0, context: context) }
            requestOpen = true
            bodyBytes = 0
            if let declared = head.headerFields[.contentLength].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
                declared > limits.maxBodyBytes
            {
                refuse(
                    .contentTooLarge, .bodyTooLarge,
                    "The request body is \(declared) bytes; this server accepts at most \(limits.maxBodyBytes). Send fewer operations per change set.",
                    context: context)
                return
            }
            head.headerFields[PeerAddress.header] = context.channel.remoteAddress?.ipAddress ?? "unknown"
            responsesPending += 1
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body(let buffer):
            guard closing == nil else { return drop(buffer.readableBytes, context: context) }
            bodyBytes += buffer.readableBytes
            if bodyBytes > limits.maxBodyBytes {
                // Passed on once, so a route reading with a bound fails now; nothing more is.
                closing = .afterResponse
            }
            context.fireChannelRead(data)
        case .end:
            requestOpen = false
            switch closing {
            case .draining:
                // The client sent all of it and has its answer.
                closeNow(context)
            case .afterResponse:
                break
            case nil:
                awaitingHead = true
                context.fireChannelRead(data)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if closing != nil {
            // Keep reading what is dropped even when no route asks for more.
            context.read()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed, closing == .draining {
            return closeNow(context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        if closing != nil { return }
        if requestOpen && responsesPending > 0 {
            // A route is reading this body: its read fails, and the error middleware answers 400.
            closing = .afterResponse
            context.fireErrorCaught(error)
            return
        }
        refuse(
            .badRequest, .malformedRequest,
            "The request's HTTP framing is broken (\(error)); nothing was changed. Send a well-formed HTTP/1.1 request.",
            context: context)
    }

    // MARK: outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            // An earlier pipelined answer (more pending, or a refusal queued behind it) keeps the
            // connection; the last one before the close says so.
            let isLast = responsesPending <= 1 && queuedRefusal == nil
            if isLast && (requestOpen || closing != nil) {
                // Answered before the request was read to the end: this connection ends here.
                closing = .afterResponse
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .body:
            context.write(data, promise: promise)
        case .end:
            responsesPending -= 1
            context.write(data, promise: promise)
            if closing == .afterResponse && responsesPending <= 0 {
                if let (head, body) = queuedRefusal {
                    queuedRefusal = nil
                    writeRefusal(head, body, context: context)
                }
                startDraining(context)
            }
        }
    }

    // MARK: refusing and closing

    /// Answers from here, without the routes (they never see this request), then drains and closes.
    private func refuse(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String, context: ChannelHandlerContext) {
        let data = (try? WireProtocol.makeEncoder().encode(ErrorBody(.init(code: code.rawValue, message: message)))) ?? Data("{}".utf8)
        let body = context.channel.allocator.buffer(bytes: data)
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        closing = .afterResponse
        if responsesPending > 0 {
            queuedRefusal = (head, body)
            return
        }
        writeRefusal(head, body, context: context)
        startDraining(context)
    }

    private func writeRefusal(_ head: HTTPResponse, _ body: ByteBuffer, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// The answer is written: stop writing (the answer goes out first), read and drop what the
    /// client still sends, and close once it has sent all, or past the byte or time bound.
    private func startDraining(_ context: ChannelHandlerContext) {
        closing = .draining
        context.flush()
        guard requestOpen else { return closeNow(context) }
        context.close(mode: .output, promise: nil)
        drainTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.drainTimeout) { [weak self] in
            guard let self, let context = self.context else { return }
            self.closeNow(context)
        }
        context.read()
    }

    private func drop(_ bytes: Int, context: ChannelHandlerContext) {
        drained += bytes
        if drained > limits.drainBytes { closeNow(context) }
    }

    /// Closes once what was written has gone out (a full close would discard pending writes).
    private func closeNow(_ context: ChannelHandlerContext) {
        cancelTimers()
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func cancelTimers() {
        headerTimer?.cancel()
        headerTimer = nil
        drainTimer?.cancel()
        drainTimer = nil
    }

    /// Bytes arrived (before the parser): the first byte of a new request starts its header clock.
    fileprivate func bytesArrived() {
        guard awaitingHead, headerTimer == nil, closing == nil, let context else { return }
        headerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.headerReadTimeout) { [weak self] in
            guard let self, let context = self.context else { return }
            self.headerTimer = nil
            guard self.awaitingHead, self.closing == nil else { return }
            self.requestOpen = false
            self.refuse(
                .requestTimeout, .requestTimeout,
                "The request's headers did not arrive within \(self.limits.headerReadTimeout.nanoseconds / 1_000_000_000) seconds; the connection is closed. Send the request again.",
                context: context)
        }
    }
}

/// Sits first in the pipeline and tells the guard when bytes arrive, before they are parsed.
private final class RawBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private weak var owner: ConnectionGuardHandler?

    init(owner: ConnectionGuardHandler) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner?.bytesArrived()
        context.fireChannelRead(data)
    }
}
