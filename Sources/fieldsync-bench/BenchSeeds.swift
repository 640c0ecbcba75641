import FieldSyncTestSupport

/// The seed of each generated stream: one per simulated device and purpose, fixed for every run.
enum Seeds {
    static let base: UInt64 = 0xF1E1_D5E9_2026_1122

    enum Stream: UInt64 {
        /// The records a W1 device creates.
        case w1Device = 1
        /// The 100 records W2's second device creates.
        case w2Writer = 2
        /// W3 device A's texts.
        case w3DeviceA = 3
        /// W3 device B's texts.
        case w3DeviceB = 4
    }

    static func seed(_ stream: Stream, _ index: Int) -> UInt64 {
        var mixer = SeededRandom(seed: base ^ (stream.rawValue << 40) ^ UInt64(index))
        return mixer.next()
    }
}
