import FieldSyncProtocol
import Foundation
import GRDB
import Synchronization

/// How ``FieldSyncDevice/watch(options:onUpdate:)`` behaves.
public struct WatchOptions: Sendable {
    /// A full sync this often while live sync is unavailable (the server is down, refuses the
    /// watch, or has no watch endpoint), or while the last sync failed; never else.
    public var pollInterval: Duration
    /// How often the store is checked for new edits (made by this process or another one).
    public var outboxCheckInterval: Duration
    /// Reconnecting: the first wait, doubled after each failure up to `maxBackoff`; each wait is
    /// half fixed and half random (jitter), so many devices cut off together do not return together.
    public var firstBackoff: Duration
    public var maxBackoff: Duration

    public init(
        pollInterval: Duration = .seconds(30), outboxCheckInterval: Duration = .milliseconds(500),
        firstBackoff: Duration = .milliseconds(500),
        maxBackoff: Duration = .seconds(30)
    ) {
        self.pollInterval = pollInterval
        self.outboxCheckInterval = outboxCheckInterval
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
    }

    /// The wait before reconnect attempt `failures` (1, 2, …), never less than the server's `Retry-After`.
    func backoff(failures: Int, retryAfter: Duration? = nil) -> Duration {
        let doubled = firstBackoff * Double(1 << min(max(failures - 1, 0), 20))
        let capped = min(doubled, maxBackoff)
        let jittered = capped / 2 + capped / 2 * Double.random(in: 0...1)
        return max(jittered, retryAfter ?? .zero)
    }
}

/// What made ``FieldSyncDevice/watch(options:onUpdate:)`` sync.
public enum WatchTrigger: String, Codable, Sendable, CaseIterable {
    /// The first sync, as the watch starts.
    case start
    /// The watch connection came back after a failure: what happened meanwhile is fetched.
    case reconnect
    /// The server refused the watch (revoked, signed out, a cursor it does not know): a sync
    /// meets the same refusal and acts on it (a revoked device is wiped).
    case refused
    /// A new edit in the outbox.
    case localEdit = "local-edit"
    /// The server said the feed moved.
    case poke
    /// The last sync could not reach the server though the watch is open: tried again every poll interval.
    case retry
    /// Live sync is unavailable: the periodic full sync.
    case poll
}

/// What a watch reports as it goes.
public enum WatchUpdate: Sendable {
    /// It synced, for this reason.
    case synced(WatchTrigger, SyncReport)
    /// The live-sync connection is open: pokes arrive as the server commits.
    case live
    /// Live sync is unavailable (the reason); the watch polls and reconnects with backoff.
    case degraded(String)
}

/// How a watch ended.
public enum WatchOutcome: Sendable {
    /// The calling task was cancelled (the user stopped it); the last sync's report, if any.
    case stopped(last: SyncReport?)
    /// The server said the device is revoked and the local store was erased.
    case wiped(SyncReport)
}

extension FieldSyncDevice {
    /// Keeps this device in sync until the calling task is cancelled: a sync at once, then one on
    /// every poke of the server's live-sync stream (`GET /v1/changes/watch`), on every new edit
    /// in the outbox (checked every `outboxCheckInterval`, so edits another process writes to the
    /// same store are pushed too), and, while live sync is unavailable, every `pollInterval`. The
    /// watch connection is reopened with capped exponential backoff and jitter. Pull stays the
    /// source of truth: a poke only says when to pull, so a missed one loses nothing.
    ///
    /// Syncs run one at a time; triggers that arrive during a sync are merged into one more sync.
    /// Throws what ``sync(pageSize:progress:)`` throws for a refusal it cannot work around (a
    /// token the server does not know, a store that cannot be read); returns ``WatchOutcome/wiped(_:)``
    /// when the device was revoked and erased.
    public func watch(options: WatchOptions = WatchOptions(), onUpdate: @escaping @Sendable (WatchUpdate) -> Void)
        async throws(ClientError) -> WatchOutcome
    {
        _ = try credentials()  // not enrolled: say so at once
        // The first sync comes before the watch opens, so the watch starts from a current cursor.
        let first = try await sync()
        if Task.isCancelled && !first.wiped { return .stopped(last: nil) }
        onUpdate(.synced(.start, first))
        if first.wiped { return .wiped(first) }
        let triggers = WatchTriggers()
        triggers.lastSyncFailed = !first.reachable
        let result = await withTaskGroup(of: Void.self, returning: Result<WatchOutcome, ClientError>.self) { group in
            group.addTask { await self.keepWatchConnection(triggers, options: options, onUpdate: onUpdate) }
            group.addTask { await self.watchOutbox(triggers, every: options.outboxCheckInterval) }
            group.addTask { await Self.pollWhileNeeded(triggers, every: options.pollInterval) }
            let result = await self.syncOnTriggers(triggers, last: first, onUpdate: onUpdate)
            group.cancelAll()
            return result
        }
        return try result.get()
    }

    /// The device's server and token, as enrolled.
    private func credentials() throws(ClientError) -> (server: String, token: String) {
        let (server, token): (String?, String?) = try store.read { db in
            (try store.setting(SettingKey.server, in: db), try store.setting(SettingKey.token, in: db))
        }
        guard let server, let sealedToken = token.flatMap({ Data(base64Encoded: $0) }) else { throw ClientError.notEnrolled() }
        return (server, String(decoding: try store.cipher.open(sealedToken, for: .setting(SettingKey.token)), as: UTF8.self))
    }

    /// Runs one sync per wake-up until the task is cancelled, the device is wiped, or a sync throws.
    private func syncOnTriggers(_ triggers: WatchTriggers, last first: SyncReport, onUpdate: @Sendable (WatchUpdate) -> Void) async
        -> Result<WatchOutcome, ClientError>
    {
        var last: SyncReport? = first
        var wakes = triggers.wakes.makeAsyncIterator()
        // Bounded by the task: a cancelled task's stream ends.
        while await wakes.next() != nil, !Task.isCancelled {
            guard let trigger = triggers.take() else { continue }
            let report: SyncReport
            do { report = try await sync() } catch {
                if Task.isCancelled { break }
                return .failure(error)
            }
            // A sync cut short by the user's stop is not reported as the server being unreachable.
            if Task.isCancelled && !report.wiped { break }
            onUpdate(.synced(trigger, report))
            triggers.lastSyncFailed = !report.reachable
            last = report
            if report.wiped { return .success(.wiped(report)) }
        }
        return .success(.stopped(last: last))
    }

    /// Checks the outbox for new edits; bounded by the task (each round sleeps, a cancelled sleep ends it).
    private func watchOutbox(_ triggers: WatchTriggers, every interval: Duration) async {
        var seen = try? newestUnsent()
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let now: Int64?
            do { now = try newestUnsent() } catch { continue }
            if let now, now != seen { triggers.add(.localEdit) }
            seen = now
        }
    }

    /// The sequence of the newest change set in the outbox (nil when it is empty): it grows with
    /// every edit, whichever process made it.
    private func newestUnsent() throws(ClientError) -> Int64? {
        try store.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM outbox") }
    }

    private static func pollWhileNeeded(_ triggers: WatchTriggers, every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            if !triggers.isLive {
                triggers.add(.poll)
            } else if triggers.lastSyncFailed {
                triggers.add(.retry)
            }
        }
    }

    /// Holds the watch connection open, reopening it when it ends; bounded by the task.
    private func keepWatchConnection(
        _ triggers: WatchTriggers, options: WatchOptions, onUpdate: @escaping @Sendable (WatchUpdate) -> Void
    ) async {
        var failures = 0
        while !Task.isCancelled {
            let ending = await watchOnce(triggers, afterFailure: failures > 0, onUpdate: onUpdate)
            if Task.isCancelled { return }
            if case .lifetime = ending {
                // Reopened at once, from the newest cursor: still live, nothing to report.
                failures = 0
                continue
            }
            _ = triggers.setLive(false)
            let wait: Duration
            switch ending {
            case .lifetime:
                continue
            case .unavailable(let reason, let retryAfter):
                failures += 1
                if failures == 1 { onUpdate(.degraded(reason)) }
                wait = options.backoff(failures: failures, retryAfter: retryAfter)
            case .refused:
                failures += 1
                triggers.add(.refused)
                wait = options.backoff(failures: failures)
            }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }

    /// Why one watch connection ended.
    enum WatchConnectionEnding: Sendable {
        /// The server ended it at the end of its lifetime: reopen at once.
        case lifetime
        /// No connection, a server stopping or overloaded, an old server without the endpoint.
        case unavailable(String, retryAfter: Duration?)
        /// The server refused this device (revoked, unknown token, unknown cursor): sync to act on it.
        case refused
    }

    /// Opens one watch connection from the device's cursor and reads it until it ends.
    private func watchOnce(_ triggers: WatchTriggers, afterFailure: Bool, onUpdate: @escaping @Sendable (WatchUpdate) -> Void) async
        -> WatchConnectionEnding
    {
        let reader = WatchStreamReader(triggers: triggers, afterFailure: afterFailure, onUpdate: onUpdate)
        let answer: TransportAnswer
        do {
            let (server, token) = try credentials()
            let cursor = try store.read { db in try store.setting(SettingKey.cursor, in: db) } ?? FeedCursor.start.token
            answer = try await withConnection(server: server, token: token, timeout: max(requestTimeout, LiveSync.silenceLimit)) {
                connection throws(ClientError) in
                try await connection.stream(
                    LiveSync.path, query: [URLQueryItem(name: "after", value: cursor)], headers: try healthHeaders()
                ) { chunk in await reader.feed(chunk) }
            }
        } catch {
            return reader.ending ?? .unavailable(error.message, retryAfter: nil)
        }
        switch answer.status {
        case 200:
            return reader.ending ?? .unavailable("The live-sync connection ended without a word from the server.", retryAfter: nil)
        case 400, 401, 403:
            return .refused
        default:
            let detail = ServerConnection.errorBody(answer.body)
            let retryAfter = answer.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
            let reason =
                answer.status == 404 || answer.status == 405
                ? "This server has no live sync; syncing every so often instead."
                : "Live sync is unavailable (\(answer.status)\(detail.map { " \($0.code): \($0.message)" } ?? ""))."
            return .unavailable(reason, retryAfter: retryAfter)
        }
    }
}

/// Reads one watch connection's events and turns them into triggers.
private final class WatchStreamReader: Sendable {
    private struct State {
        var parser = ServerSentEventParser()
        var ending: FieldSyncDevice.WatchConnectionEnding?
    }

    private let state = Mutex(State())
    private let triggers: WatchTriggers
    private let afterFailure: Bool
    private let onUpdate: @Sendable (WatchUpdate) -> Void

    init(triggers: WatchTriggers, afterFailure: Bool, onUpdate: @escaping @Sendable (WatchUpdate) -> Void) {
        self.triggers = triggers
        self.afterFailure = afterFailure
        self.onUpdate = onUpdate
    }

    /// How the stream ended, when the server said so (`end`, `refused`) or sent what is not an event stream.
    var ending: FieldSyncDevice.WatchConnectionEnding? { state.withLock { $0.ending } }

    /// Takes a piece of the stream; false once the stream has said its last word.
    func feed(_ chunk: Data) async -> Bool {
        let events: [ServerSentEvent]
        do { events = try state.withLock { state throws(ServerSentEventParser.Malformed) in try state.parser.feed(chunk) } } catch {
            state.withLock { $0.ending = .unavailable("The server's live-sync stream could not be read.", retryAfter: nil) }
            return false
        }
        for event in events {
            switch LiveSync.Event(rawValue: event.name) {
            case .ready?:
                if triggers.setLive(true) { onUpdate(.live) }
                if afterFailure { triggers.add(.reconnect) }
            case .poke?:
                triggers.add(.poke)
            case .end?:
                let end = try? WireProtocol.makeDecoder().decode(LiveSync.End.self, from: Data(event.data.utf8))
                let ending: FieldSyncDevice.WatchConnectionEnding =
                    end?.reason == "lifetime" ? .lifetime : .unavailable("The server is stopping.", retryAfter: nil)
                state.withLock { $0.ending = ending }
                return false
            case .refused?:
                state.withLock { $0.ending = .refused }
                return false
            case nil:
                continue  // an event this client does not know: ignored, as the SSE rules say
            }
        }
        return true
    }
}

/// What is waiting to be synced for, and whether the watch connection is open. Many triggers
/// between two syncs make one sync.
final class WatchTriggers: Sendable {
    private struct State {
        var pending: Set<WatchTrigger> = []
        var live = false
        var lastSyncFailed = false
    }

    private let state = Mutex(State())
    let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func add(_ trigger: WatchTrigger) {
        state.withLock { _ = $0.pending.insert(trigger) }
        wake.yield()
    }

    /// The most telling trigger waiting (in ``WatchTrigger``'s order), clearing them all.
    func take() -> WatchTrigger? {
        state.withLock { state in
            defer { state.pending.removeAll() }
            return WatchTrigger.allCases.first(where: state.pending.contains)
        }
    }

    var isLive: Bool { state.withLock { $0.live } }

    /// Whether the last sync could not reach the server (a poke's pull cut off): it is retried by the poll.
    var lastSyncFailed: Bool {
        get { state.withLock { $0.lastSyncFailed } }
        set { state.withLock { $0.lastSyncFailed = newValue } }
    }

    /// Sets whether the watch connection is open; true when that changed.
    func setLive(_ live: Bool) -> Bool {
        state.withLock { state in
            defer { state.live = live }
            return state.live != live
        }
    }
}
