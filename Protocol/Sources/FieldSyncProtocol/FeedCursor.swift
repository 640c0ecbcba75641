import Foundation

/// A position in the server's change feed. On the wire it is an opaque string; devices store
/// and return it unchanged. Inside: the last feed sequence delivered, and the generation of the
/// device's scope it was delivered under (so the server can tell what the device gained or lost
/// when a young person moves between workers).
public struct FeedCursor: Sendable, Hashable {
    public var sequence: Int64
    public var generation: Int64

    public init(sequence: Int64, generation: Int64 = 0) {
        self.sequence = sequence
        self.generation = generation
    }

    public static let start = FeedCursor(sequence: 0)

    private static let prefix = "fs1."

    public var token: String {
        Self.prefix + String(sequence, radix: 36) + (generation > 0 ? "." + String(generation, radix: 36) : "")
    }

    /// Reads a cursor a device sent back; nil when it is not one this server made.
    public init?(token: String) {
        guard token.hasPrefix(Self.prefix) else { return nil }
        let parts = token.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let n = Int64(parts[0], radix: 36), n >= 0 else { return nil }
        var generation: Int64 = 0
        if parts.count == 2 {
            guard let g = Int64(parts[1], radix: 36), g > 0 else { return nil }
            generation = g
        }
        self.sequence = n
        self.generation = generation
    }
}
