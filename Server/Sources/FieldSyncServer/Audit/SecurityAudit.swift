import FieldSyncProtocol
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Failed enrolments and bad bearer tokens, for the audit trail (contract 5, domain model 2.5),
/// without letting a flood of them become a flood of writes: events are counted in memory and
/// written at most once per ``flushInterval``, one audit entry per kind of event, person and
/// address, with how many there were and between when. Logged at once (a warning), so an
/// operator watching the log sees an attack as it happens.
///
/// Runs as a service beside the server; what is pending when it stops is written then.
final class SecurityAudit: Service, Sendable {
    struct Event: Hashable, Sendable {
        /// One of ``AuditAction/enrolFailed``, ``AuditAction/enrolRateLimited``, ``AuditAction/authFailed``.
        var action: AuditAction
        var actor: String = "unknown"
        var role: String = "-"
        var device: String?
        var address: String
        var reason: String
    }

    struct Tally: Sendable {
        var count: Int
        var first: String
        var last: String
    }

    private let database: ServerDatabase
    private let logger: Logger
    let flushInterval: Duration
    /// Most distinct events held between flushes; the rest are counted under one "many" entry.
    let maxDistinct: Int
    private let pending = Mutex<[Event: Tally]>([:])

    init(database: ServerDatabase, logger: Logger, flushInterval: Duration = .seconds(2), maxDistinct: Int = 1_000) {
        self.database = database
        self.logger = logger
        self.flushInterval = flushInterval
        self.maxDistinct = maxDistinct
    }

    func record(_ event: Event) {
        let now = WireTime.now()
        let isNew = pending.withLock { pending -> Bool in
            var key = event
            if pending[key] == nil && pending.count >= maxDistinct {
                key = Event(action: event.action, address: "many", reason: "many addresses and people")
            }
            if var tally = pending[key] {
                tally.count += 1
                tally.last = now
                pending[key] = tally
                return false
            }
            pending[key] = Tally(count: 1, first: now, last: now)
            return true
        }
        if isNew {
            logger.warning(
                "security event",
                metadata: [
                    "action": "\(event.action.rawValue)", "actor": "\(event.actor)", "address": "\(event.address)",
                    "reason": "\(event.reason)",
                ])
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.flushInterval)
                await self.flush()
            }
        }
        await flush()
    }

    /// Writes what is pending, one audit entry per distinct event, in one transaction.
    func flush() async {
        let batch = pending.withLock { pending -> [Event: Tally] in
            defer { pending = [:] }
            return pending
        }
        guard !batch.isEmpty else { return }
        let entries = batch.sorted { $0.value.first < $1.value.first }
        do {
            try await database.pool.write { db in
                let head = AuditLog.Head()
                for (event, tally) in entries {
                    let times = tally.count == 1 ? "at \(tally.first)" : "\(tally.count) times between \(tally.first) and \(tally.last)"
                    try AuditLog.append(
                        AuditLog.Event(
                            actor: event.actor, role: event.role, device: event.device, action: event.action,
                            detail: "\(event.reason), from \(event.address), \(times)"),
                        head: head, in: db)
                }
            }
        } catch {
            logger.error("security events could not be audited", metadata: ["events": "\(batch.count)", "error": "\(error)"])
        }
    }
}
