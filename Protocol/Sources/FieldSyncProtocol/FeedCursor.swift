import Foundation

/// A position in the server's change feed. On the wire it is an opaque string; devices store
/// and return it unchanged. Inside, it is the last feed sequence number delivered.
public struct FeedCursor: Sendable, Hashable {
    public var sequence: Int64

    public init(sequence: Int64) { self.sequence = sequence }

    public static let start = FeedCursor(sequence: 0)

    private static let prefix = "fs1."

    public var token: String { Self.prefix + String(sequence, radix: 36) }

    /// Reads a cursor a device sent back; nil when it is not one this server made.
    public init?(token: String) {
        guard token.hasPrefix(Self.prefix), let n = Int64(token.dropFirst(Self.prefix.count), radix: 36), n >= 0 else {
            return nil
        }
        self.sequence = n
    }
}
