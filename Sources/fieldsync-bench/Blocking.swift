import Dispatch

/// Runs blocking work (waiting on child processes, polling files) on a Dispatch thread, so it
/// never holds one of the few threads of Swift's cooperative pool.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            // A queue of its own: libdispatch gives it a thread even when others are blocked.
            DispatchQueue(label: "fieldsync-bench.blocking").async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    /// Runs `work` on every item in `lanes` blocking lanes side by side; results in item order.
    static func inLanes<T: Sendable, R: Sendable>(
        _ items: [T], lanes: Int, _ work: @escaping @Sendable (T) throws -> R
    ) async throws -> [R] {
        let laneCount = max(1, min(lanes, items.count))
        return try await withThrowingTaskGroup(of: [(Int, R)].self) { group in
            for lane in 0..<laneCount {
                let mine = Array(stride(from: lane, to: items.count, by: laneCount))
                group.addTask {
                    try await run { try mine.map { ($0, try work(items[$0])) } }
                }
            }
            var results = [R?](repeating: nil, count: items.count)
            for try await part in group {
                for (index, result) in part { results[index] = result }
            }
            return results.compactMap { $0 }
        }
    }
}
