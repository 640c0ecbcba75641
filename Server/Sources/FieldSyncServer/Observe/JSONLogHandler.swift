import FieldSyncProtocol
import Foundation
import Logging
import Synchronization

/// How the server writes its log lines (`serve --log-format`).
public enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's plain lines (`StreamLogHandler`), for a person at a terminal.
    case text
    /// One JSON object per line, for a log collector: `time`, `level`, `logger`, `message`, and
    /// each metadata key as a member of its own (numbers as numbers).
    case json

    /// The handler factory to bootstrap swift-log with; lines go to standard error.
    public var makeHandler: @Sendable (String) -> any LogHandler {
        switch self {
        case .text: return { StreamLogHandler.standardError(label: $0) }
        case .json: return { JSONLogHandler(label: $0) }
        }
    }
}

/// A swift-log handler writing one JSON object per line to standard error.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    /// One write per line, so lines from concurrent requests never interleave.
    private static let output = Mutex(FileHandle.standardError)

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [:]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged { object[key] = Self.json(value) }
        object["time"] = WireTime.now()
        object["level"] = event.level.rawValue
        object["logger"] = label
        object["message"] = event.message.description
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return
        }
        line.append(0x0A)
        Self.output.withLock { $0.write(line) }
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: return number
            case let number as Int64: return number
            case let number as Double: return number
            case let flag as Bool: return flag
            default: return convertible.description
            }
        case .array(let values): return values.map(json)
        case .dictionary(let members): return members.mapValues(json)
        }
    }
}
