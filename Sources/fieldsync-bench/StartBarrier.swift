/// Holds every simulated device until all have arrived, then lets them go at once.
actor StartBarrier {
    private let parties: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// When the last device arrived and all were released: the start of the wall time.
    private(set) var releasedAt: ContinuousClock.Instant?

    init(parties: Int) {
        precondition(parties > 0)
        self.parties = parties
    }

    func arriveAndWait() async {
        if waiting.count + 1 >= parties {
            releasedAt = .now
            let released = waiting
            waiting = []
            for continuation in released { continuation.resume() }
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}
