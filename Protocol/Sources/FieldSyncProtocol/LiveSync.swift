import Foundation

/// Live sync (`GET /v1/changes/watch`, WIRE-PROTOCOL §8a): the server keeps an answer open as
/// server-sent events and tells the device when to pull. A poke carries no records: pull stays
/// the source of truth, so a missed poke loses nothing (the next pull gets it all).
public enum LiveSync {
    /// The watch endpoint's path under the server's address.
    public static let path = "v1/changes/watch"
    /// The longest a server waits between two heartbeats (its `--watch-heartbeat-seconds` is at
    /// most this); a client that hears nothing for longer than ``silenceLimit`` treats the
    /// connection as dead and reconnects.
    public static let maxHeartbeatSeconds = 30
    /// How long a client waits in silence before it gives up on a watch connection.
    public static let silenceLimit = Duration.seconds(45)

    /// The events of a watch stream (`event:` names).
    public enum Event: String, Sendable, Codable {
        /// First event: the watch is open; `data` is ``Ready``.
        case ready
        /// The feed moved past the device's cursor (or its scope changed): pull now. `data` is ``Poke``.
        case poke
        /// The server ends the watch: its lifetime is over, or it is stopping. `data` is ``End``.
        /// Reconnect (after `lifetime` at once; after `shutdown` with backoff).
        case end
        /// The device may no longer watch (revoked, token expired): `data` is an ``ErrorBody``.
        /// A `device_revoked` here means what it means on any request: erase the local store.
        case refused
    }

    public struct Ready: Codable, Sendable, Equatable {
        /// Seconds between the server's heartbeat comments.
        public var heartbeatSeconds: Int
        /// Seconds after which the server ends this watch (`end` with reason `lifetime`).
        public var closesAfterSeconds: Int

        public init(heartbeatSeconds: Int, closesAfterSeconds: Int) {
            self.heartbeatSeconds = heartbeatSeconds
            self.closesAfterSeconds = closesAfterSeconds
        }
    }

    public struct Poke: Codable, Sendable, Equatable {
        /// `changes` (new versions in the feed) or `scope` (the device's scope changed: a catch-up waits).
        public var reason: String

        public init(reason: String) { self.reason = reason }
    }

    public struct End: Codable, Sendable, Equatable {
        /// `lifetime` or `shutdown`.
        public var reason: String

        public init(reason: String) { self.reason = reason }
    }
}

/// One server-sent event as it travels: `event: NAME` and one `data:` line of JSON, ended by an
/// empty line. Comments (`: heartbeat`) carry nothing and only keep the connection honest.
package struct ServerSentEvent: Sendable, Equatable {
    package var name: String
    package var data: String

    package init(name: String, data: String) {
        self.name = name
        self.data = data
    }

    /// The event's bytes on the wire. `data` must hold no line break (JSON from ``WireProtocol/makeEncoder()`` holds none).
    package var wireText: String { "event: \(name)\ndata: \(data)\n\n" }

    /// A comment line: ignored by readers, it only shows the connection is alive.
    package static func comment(_ text: String) -> String { ": \(text)\n\n" }

    /// The JSON event for a value.
    package static func json<T: Encodable>(_ event: LiveSync.Event, _ value: T) -> ServerSentEvent {
        let data = (try? WireProtocol.makeEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return ServerSentEvent(name: event.rawValue, data: data)
    }
}

/// Reads server-sent events from the chunks of a streamed body, in any split: a line may arrive
/// in pieces, several events in one chunk. Only what the watch stream uses is kept: `event` and
/// `data` fields (several `data` lines are joined by a line break, as the SSE rules say);
/// comments and other fields are dropped. Bounded: a line longer than ``maxLineBytes`` ends the
/// stream as malformed rather than growing without end.
package struct ServerSentEventParser: Sendable {
    package static let maxLineBytes = 1 << 20

    private var pending: [UInt8] = []
    private var name = ""
    private var data: [String] = []

    package struct Malformed: Error, Sendable {}

    package init() {}

    /// The events completed by this chunk, in order.
    package mutating func feed(_ chunk: some Sequence<UInt8>) throws(Malformed) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                if let event = take(line: pending) { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            } else {
                guard pending.count < Self.maxLineBytes else { throw Malformed() }
                pending.append(byte)
            }
        }
        return events
    }

    private mutating func take(line raw: [UInt8]) -> ServerSentEvent? {
        let line = raw.last == UInt8(ascii: "\r") ? Array(raw.dropLast()) : raw
        if line.isEmpty {
            // An empty line ends an event; one with no data is not dispatched (the SSE rule).
            defer {
                name = ""
                data = []
            }
            guard !data.isEmpty else { return nil }
            return ServerSentEvent(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": name = String(value)
        case "data": data.append(String(value))
        default: break
        }
        return nil
    }
}
