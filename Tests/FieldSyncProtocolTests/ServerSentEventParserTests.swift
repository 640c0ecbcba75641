import Foundation
import Testing

@testable import FieldSyncProtocol

@Suite("Server-sent events: what the watch stream writes, read back in any split")
struct ServerSentEventParserTests {
    static let stream =
        "retry: 2000\n\n" + ServerSentEvent.json(.ready, LiveSync.Ready(heartbeatSeconds: 15, closesAfterSeconds: 300)).wireText
        + ServerSentEvent.comment("heartbeat") + ServerSentEvent.json(.poke, LiveSync.Poke(reason: "changes")).wireText
        + "event: poke\r\ndata: {\"reason\":\"scope\"}\r\n\r\n" + "data: line one\ndata: line two\n\n"
        + ServerSentEvent.json(.end, LiveSync.End(reason: "lifetime")).wireText

    static let expected = [
        ServerSentEvent(name: "ready", data: #"{"closesAfterSeconds":300,"heartbeatSeconds":15}"#),
        ServerSentEvent(name: "poke", data: #"{"reason":"changes"}"#),
        ServerSentEvent(name: "poke", data: #"{"reason":"scope"}"#),
        ServerSentEvent(name: "message", data: "line one\nline two"),
        ServerSentEvent(name: "end", data: #"{"reason":"lifetime"}"#),
    ]

    @Test("Events and their data come out whole; comments, retry and events without data are dropped")
    func wholeStream() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array(Self.stream.utf8)) == Self.expected)
    }

    @Test("The same events whatever the chunking, down to one byte at a time", arguments: [1, 2, 3, 7, 64])
    func anySplit(size: Int) throws {
        var parser = ServerSentEventParser()
        let bytes = Array(Self.stream.utf8)
        var events: [ServerSentEvent] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            events += try parser.feed(bytes[start..<min(start + size, bytes.count)])
        }
        #expect(events == Self.expected)
    }

    @Test("A line that never ends is refused, not held without bound")
    func boundedLine() {
        var parser = ServerSentEventParser()
        let endless = [UInt8](repeating: UInt8(ascii: "a"), count: ServerSentEventParser.maxLineBytes + 1)
        #expect(throws: ServerSentEventParser.Malformed.self) { try parser.feed(endless) }
    }
}
