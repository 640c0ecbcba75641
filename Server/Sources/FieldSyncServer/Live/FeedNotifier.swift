import FieldSyncProtocol
import Foundation
import HTTPTypes
import ServiceLifecycle
import Synchronization

/// The bounds on live sync (`serve --watch-*`).
public struct WatchLimits: Sendable {
    /// Open watches one device may hold (a reconnect can overlap a dead connection not yet noticed).
    public var perDevice = 4
    /// Open watches in all; each holds a connection (and a file descriptor) for as long as it lasts.
    public var total = 1_000
    /// Seconds between heartbeat comments; each heartbeat also checks the device is not revoked
    /// and its scope has not changed (admin commands run in another process).
    public var heartbeatSeconds = 15
    /// Seconds after which the server ends a watch (the client reconnects at once), so that no
    /// answer stays open for ever (proxies, fuzzers and load balancers see requests end).
    public var lifetimeSeconds = 300

    public init() {}
}

/// Why a watch ends from the server's side.
enum WatchEnding: String, Sendable {
    /// Its lifetime is over: reconnect at once.
    case lifetime
    /// The server is stopping: reconnect with backoff.
    case shutdown
}

/// What a watch has to do when it wakes, taken all at once (so no poke is lost to a heartbeat).
struct WatchDue: Sendable, Equatable {
    var poke: LiveSync.Poke?
    var heartbeat = false
    var ending: WatchEnding?
}

/// Tells the open watches (`GET /v1/changes/watch`) that the feed moved, and bounds them.
///
/// The writer calls ``committed(_:)`` after each group commit (the one place the feed advances
/// while the server runs). That never blocks and never waits for a watcher: it marks the
/// watchers whose scope the commit concerns and wakes each through an `AsyncStream` that holds at
/// most one wake-up. A slow watcher only falls behind on its own connection; what it must do
/// stays in its entry's flags until it next looks (``take(_:)``), so nothing is lost while it is busy.
///
/// ``tick(now:)`` (run every second by ``WatchTicker``) marks heartbeats and ends watches at
/// the end of their lifetime; ``shutDown()`` ends every watch and refuses new ones.
final class FeedNotifier: Sendable {
    let limits: WatchLimits

    struct Watch: Sendable {
        let id: Int
        let device: UUID
        /// One element per wake-up; ``FeedNotifier/take(_:)`` says what for.
        let wakes: AsyncStream<Void>
        /// True when the feed may have moved between the caller's read and this registration.
        let missedCommit: Bool
    }

    private struct Entry {
        let device: UUID
        var scope: AccessScope
        let wake: AsyncStream<Void>.Continuation
        var due = WatchDue()
        var nextHeartbeat: ContinuousClock.Instant
        let endsAt: ContinuousClock.Instant
        /// Set when the answer's body starts; a watch whose answer never started (its connection
        /// went before the body was written) is dropped after ``unstartedGrace``.
        var started = false
        let openedAt: ContinuousClock.Instant
    }

    static let unstartedGrace = Duration.seconds(10)

    private struct State {
        var entries: [Int: Entry] = [:]
        var perDevice: [UUID: Int] = [:]
        var nextId = 1
        var commits = 0
        var shutDown = false

        mutating func remove(_ id: Int) -> Entry? {
            guard let entry = entries.removeValue(forKey: id) else { return nil }
            let left = perDevice[entry.device, default: 1] - 1
            perDevice[entry.device] = left > 0 ? left : nil
            return entry
        }
    }

    private let state = Mutex(State())

    init(limits: WatchLimits = WatchLimits()) {
        self.limits = limits
    }

    /// How many group commits have added to the feed so far: read it before the read that decides
    /// whether a new watch starts behind, and hand it to ``open(device:scope:commitsBefore:)``.
    var commits: Int { state.withLock { $0.commits } }

    var openWatches: Int { state.withLock { $0.entries.count } }

    /// Registers a watch, or refuses it past the bounds or while the server stops.
    func open(device: UUID, scope: AccessScope, commitsBefore: Int) throws(APIError) -> Watch {
        let (stream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let now = ContinuousClock.now
        let limits = self.limits
        let opened: Result<(id: Int, missed: Bool, open: Int), Refusal> = state.withLock { state in
            if state.shutDown { return .failure(.stopping) }
            let held = state.perDevice[device, default: 0]
            if held >= limits.perDevice { return .failure(.device(held)) }
            if state.entries.count >= limits.total { return .failure(.total) }
            let id = state.nextId
            state.nextId += 1
            state.entries[id] = Entry(
                device: device, scope: scope, wake: wake, nextHeartbeat: now + .seconds(limits.heartbeatSeconds),
                endsAt: now + .seconds(limits.lifetimeSeconds), openedAt: now)
            state.perDevice[device] = held + 1
            return .success((id, state.commits != commitsBefore, state.entries.count))
        }
        switch opened {
        case .success(let (id, missed, open)):
            ServerMetrics.watches(open: open)
            return Watch(id: id, device: device, wakes: stream, missedCommit: missed)
        case .failure(let refusal):
            wake.finish()
            ServerMetrics.watchRefused(refusal.metric)
            throw refusal.error(limits)
        }
    }

    /// Why a watch is not opened.
    private enum Refusal: Error {
        case stopping
        /// The device already holds this many.
        case device(Int)
        case total

        var metric: String {
            switch self {
            case .stopping: "stopping"
            case .device: "device"
            case .total: "total"
            }
        }

        func error(_ limits: WatchLimits) -> APIError {
            switch self {
            case .stopping:
                APIError(.serviceUnavailable, .unavailable, "The server is stopping; reconnect in a few seconds (nothing is lost).")
            case .device(let held):
                APIError(
                    .tooManyRequests, .tooManyWatches,
                    "This device already holds \(held) live-sync connections, the most one device may; close one, or wait: a dead one is noticed within \(limits.heartbeatSeconds) s.",
                    retryAfterSeconds: limits.heartbeatSeconds)
            case .total:
                APIError(
                    .tooManyRequests, .tooManyWatches,
                    "The server holds its most live-sync connections (\(limits.total)); sync by polling for now and try again later.",
                    retryAfterSeconds: 30)
            }
        }
    }

    /// The watch's answer is being written.
    func started(_ watch: Watch) {
        state.withLock { $0.entries[watch.id]?.started = true }
    }

    /// Removes a watch (its connection ended, for whatever reason).
    func close(_ watch: Watch) {
        let (removed, open) = state.withLock { state in (state.remove(watch.id), state.entries.count) }
        guard let removed else { return }
        removed.wake.finish()
        ServerMetrics.watches(open: open)
    }

    /// What the watch must do now, clearing it.
    func take(_ watch: Watch) -> WatchDue {
        state.withLock { state in
            guard let entry = state.entries[watch.id] else { return WatchDue(ending: .shutdown) }
            state.entries[watch.id]?.due = WatchDue()
            return entry.due
        }
    }

    /// A heartbeat found the device's scope changed (an allocation by an admin command): the
    /// watch checks new commits against `scope` from now on, and is poked for the catch-up.
    func update(_ watch: Watch, scope: AccessScope) {
        state.withLock { state in
            guard state.entries[watch.id] != nil else { return }
            state.entries[watch.id]?.scope = scope
            state.entries[watch.id]?.due.poke = LiveSync.Poke(reason: "scope")
            state.entries[watch.id]?.wake.yield()
        }
    }

    /// Called by the writer after a group commit that added `changes` to the feed. Never blocks:
    /// one set check per watcher under the lock, and a wake-up that replaces any not yet taken.
    func committed(_ changes: FeedChanges) {
        guard !changes.isEmpty else { return }
        let poked = state.withLock { state in
            state.commits += 1
            var poked = 0
            for (id, entry) in state.entries where changes.concerns(entry.scope, watchedBy: entry.device) {
                if entry.due.poke == nil { state.entries[id]?.due.poke = LiveSync.Poke(reason: "changes") }
                entry.wake.yield()
                poked += 1
            }
            return poked
        }
        ServerMetrics.pokes(poked)
    }

    /// Marks heartbeats that are due and watches whose lifetime is over.
    func tick(now: ContinuousClock.Instant = .now) {
        let heartbeat = Duration.seconds(limits.heartbeatSeconds)
        let dropped: [AsyncStream<Void>.Continuation] = state.withLock { state in
            var dropped: [AsyncStream<Void>.Continuation] = []
            for (id, entry) in state.entries {
                if !entry.started && now - entry.openedAt > Self.unstartedGrace {
                    if let gone = state.remove(id) { dropped.append(gone.wake) }
                    continue
                }
                if now >= entry.endsAt {
                    state.entries[id]?.due.ending = .lifetime
                } else if now >= entry.nextHeartbeat {
                    state.entries[id]?.due.heartbeat = true
                    state.entries[id]?.nextHeartbeat = now + heartbeat
                } else {
                    continue
                }
                entry.wake.yield()
            }
            return dropped
        }
        for wake in dropped { wake.finish() }
        if !dropped.isEmpty { ServerMetrics.watches(open: openWatches) }
    }

    /// Ends every watch (each writes its `end` event and closes) and refuses new ones: graceful
    /// shutdown waits for open answers to finish, so watches must end for the server to stop.
    func shutDown() {
        state.withLock { state in
            state.shutDown = true
            for (id, entry) in state.entries {
                state.entries[id]?.due.ending = .shutdown
                entry.wake.yield()
            }
        }
    }
}

/// Runs ``FeedNotifier/tick(now:)`` every second while the server runs.
struct WatchTicker: Service {
    let notifier: FeedNotifier

    func run() async throws {
        // Bounded by the server's life: graceful shutdown cancels the sleep.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                notifier.tick()
            }
        }
        notifier.shutDown()
    }
}
