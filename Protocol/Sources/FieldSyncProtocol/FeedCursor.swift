import Foundation

/// A position in the server's change feed. On the wire it is an opaque string; devices store
/// and return it unchanged. Inside: the last feed sequence delivered, the generation of the
/// device's scope it was delivered under (so the server can tell what the device gained or lost
/// when a young person moves between workers), and, while a catch-up spans several pages, how
/// far the catch-up got.
///
/// Text form (for servers; devices must not parse it): `fs1.<sequence>[.<generation>[.<from>.<position>]]`,
/// each number in base 36. `from` is the generation the catch-up started from and `position` the
/// last version the catch-up delivered.
public struct FeedCursor: Sendable, Hashable {
    public var sequence: Int64
    public var generation: Int64
    /// Set while a catch-up (the records of young people the device gained) is part-way through.
    public var catchUp: CatchUp?

    /// How far a catch-up that spans several pages got.
    public struct CatchUp: Sendable, Hashable {
        /// The scope generation the device held before the catch-up began.
        public var from: Int64
        /// The last record version the catch-up delivered (versions up to the cursor's sequence).
        public var position: Int64

        public init(from: Int64, position: Int64) {
            self.from = from
            self.position = position
        }
    }

    public init(sequence: Int64, generation: Int64 = 0, catchUp: CatchUp? = nil) {
        self.sequence = sequence
        self.generation = generation
        self.catchUp = catchUp
    }

    public static let start = FeedCursor(sequence: 0)

    private static let prefix = "fs1."

    public var token: String {
        var text = Self.prefix + String(sequence, radix: 36)
        if generation > 0 { text += "." + String(generation, radix: 36) }
        if let catchUp, generation > 0 {
            text += "." + String(catchUp.from, radix: 36) + "." + String(catchUp.position, radix: 36)
        }
        return text
    }

    /// Reads a cursor a device sent back; nil when it is not in the form this server makes.
    /// (Whether the server actually issued it is for the server to check.)
    public init?(token: String) {
        guard token.hasPrefix(Self.prefix), token.utf8.count <= 64 else { return nil }
        let parts = token.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard [1, 2, 4].contains(parts.count) else { return nil }
        let numbers = parts.map { Int64($0, radix: 36) }
        guard numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        self.sequence = numbers[0]!
        self.generation = 0
        if parts.count >= 2 {
            guard numbers[1]! > 0 else { return nil }
            generation = numbers[1]!
        }
        if parts.count == 4 {
            guard numbers[2]! > 0, numbers[2]! < generation, numbers[3]! <= sequence else { return nil }
            catchUp = CatchUp(from: numbers[2]!, position: numbers[3]!)
        }
    }
}
