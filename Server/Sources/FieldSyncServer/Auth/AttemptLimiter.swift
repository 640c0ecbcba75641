import Foundation
import Synchronization

/// Token buckets for guesses (enrolment codes): one per client address and one for the whole
/// server, each refilled at `perMinute` tokens a minute up to that many. An attempt takes a token
/// from both before anything is looked up; a success gives them back, so only failures count.
/// Past either bound the attempt is refused (429 with how long to wait) without touching the
/// database, so a flood of guesses costs the writer nothing.
///
/// The table of addresses is bounded: full buckets are forgotten, and past `maxAddresses` the
/// fullest are dropped first.
final class AttemptLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    struct State {
        var perAddress: [String: Bucket] = [:]
        var overall: Bucket
    }

    enum Admission: Equatable {
        case admitted
        /// Refused; try again after this many seconds. `overall` when the server-wide bound was hit.
        case refused(retryAfterSeconds: Int, overall: Bool)
    }

    let perAddressPerMinute: Int
    let overallPerMinute: Int
    let maxAddresses: Int
    private let state: Mutex<State>

    init(perAddressPerMinute: Int, overallPerMinute: Int, maxAddresses: Int = 10_000) {
        self.perAddressPerMinute = max(1, perAddressPerMinute)
        self.overallPerMinute = max(1, overallPerMinute)
        self.maxAddresses = maxAddresses
        self.state = Mutex(State(overall: Bucket(tokens: Double(max(1, overallPerMinute)), updated: .now)))
    }

    /// Takes a token for `address` and one overall, or says how long to wait.
    func admit(_ address: String, now: ContinuousClock.Instant = .now) -> Admission {
        state.withLock { state in
            var mine = Self.refilled(state.perAddress[address], capacity: perAddressPerMinute, now: now)
            let overall = Self.refilled(state.overall, capacity: overallPerMinute, now: now)
            state.overall = overall
            if mine.tokens < 1 {
                state.perAddress[address] = mine
                return .refused(retryAfterSeconds: Self.wait(for: mine, perMinute: perAddressPerMinute), overall: false)
            }
            if overall.tokens < 1 {
                state.perAddress[address] = mine
                return .refused(retryAfterSeconds: Self.wait(for: overall, perMinute: overallPerMinute), overall: true)
            }
            mine.tokens -= 1
            state.overall.tokens -= 1
            state.perAddress[address] = mine
            if state.perAddress.count > maxAddresses { Self.prune(&state, capacity: perAddressPerMinute, now: now, keep: maxAddresses) }
            return .admitted
        }
    }

    /// The attempt succeeded: its tokens go back.
    func refund(_ address: String) {
        state.withLock { state in
            if var mine = state.perAddress[address] {
                mine.tokens = min(Double(perAddressPerMinute), mine.tokens + 1)
                state.perAddress[address] = mine
            }
            state.overall.tokens = min(Double(overallPerMinute), state.overall.tokens + 1)
        }
    }

    private static func refilled(_ bucket: Bucket?, capacity: Int, now: ContinuousClock.Instant) -> Bucket {
        guard var bucket else { return Bucket(tokens: Double(capacity), updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(Double(capacity), bucket.tokens + seconds * Double(capacity) / 60)
        bucket.updated = now
        return bucket
    }

    /// Seconds until the bucket holds one whole token again.
    private static func wait(for bucket: Bucket, perMinute: Int) -> Int {
        let missing = max(0, 1 - bucket.tokens)
        return max(1, Int((missing * 60 / Double(perMinute)).rounded(.up)))
    }

    private static func prune(_ state: inout State, capacity: Int, now: ContinuousClock.Instant, keep: Int) {
        for (address, bucket) in state.perAddress where refilled(bucket, capacity: capacity, now: now).tokens >= Double(capacity) {
            state.perAddress[address] = nil
        }
        if state.perAddress.count > keep {
            let fullest = state.perAddress.sorted { $0.value.tokens > $1.value.tokens }.prefix(state.perAddress.count - keep)
            for (address, _) in fullest { state.perAddress[address] = nil }
        }
    }
}
