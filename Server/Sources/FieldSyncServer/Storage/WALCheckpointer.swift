import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the write-ahead log short without making pushes wait for checkpoints.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that commit,
/// and every change set in its group, waited 150 to 250 ms for the copy and the database file's
/// fsync. The serving process turns the automatic checkpoint off and uses this instead:
///
/// - **Background copies.** After commits, once pushes pause for `quietInterval` (or at once when
///   the WAL is past `copyWALBytes`, or `maxDelay` after the first commit), a PASSIVE checkpoint on
///   this connection copies committed pages into the database file and fsyncs it. It never blocks
///   the writer or readers, and a burst of pushes (W1) runs with no checkpoint at all.
/// - **Restarts.** A PASSIVE checkpoint from another connection cannot make the WAL start over
///   while groups commit back to back: the writer's next transaction begins before the copy
///   catches up, so under sustained load the WAL would grow without end. When the WAL passes
///   `restartWALBytes`, the writer itself runs a PASSIVE checkpoint right after a commit
///   (``restart(_:)``); the background copies have done most of the work, and its next
///   transaction starts the WAL from the beginning (cut back to `journal_size_limit`).
///
/// Durability does not depend on either: a commit is durable once it is in the WAL.
final class WALCheckpointer: Service, Sendable {
    private let connection: DatabaseQueue
    private let walPath: String
    private let commits: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let commitCount = Atomic<Int>(0)
    private let quietInterval: Duration
    private let maxDelay: Duration
    private let copyWALBytes: Int
    private let restartWALBytes: Int
    private let logger: Logger

    init(
        databasePath: String, quietInterval: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10),
        copyWALBytes: Int = 256 * 1024 * 1024, restartWALBytes: Int = 512 * 1024 * 1024, logger: Logger
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "fieldsync.checkpointer"
        connection = try DatabaseQueue(path: databasePath, configuration: configuration)
        walPath = databasePath + "-wal"
        (commits, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.quietInterval = quietInterval
        self.maxDelay = maxDelay
        self.copyWALBytes = copyWALBytes
        self.restartWALBytes = restartWALBytes
        self.logger = logger
    }

    /// Tells the checkpointer the WAL grew. Cheap; never blocks.
    func committed() {
        commitCount.add(1, ordering: .relaxed)
        signal.yield()
    }

    /// True when the WAL has grown past `restartWALBytes`: the writer should call
    /// ``restart(_:)`` before its next transaction.
    var walNeedsRestart: Bool { walBytes() >= restartWALBytes }

    /// Called by the writer after a commit, on its own connection (outside any transaction):
    /// checkpoints what the background copies have not, so the writer's next transaction
    /// restarts the WAL.
    func restart(_ db: Database) {
        do {
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")
        } catch {
            logger.warning("WAL checkpoint on the writer failed: \(error)")
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in commits {
                guard await waitForQuiet() else { break }  // cancelled: the server is stopping
                checkpoint()
            }
        } onGracefulShutdown: {
            self.signal.finish()
        }
        checkpoint()
    }

    /// Waits until a whole `quietInterval` passes with no commit, or `maxDelay` passes, or the WAL
    /// is past `copyWALBytes`. False when cancelled.
    private func waitForQuiet() async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxDelay)
        while true {
            let before = commitCount.load(ordering: .relaxed)
            do { try await Task.sleep(for: quietInterval) } catch { return false }
            if commitCount.load(ordering: .relaxed) == before || clock.now >= deadline || walBytes() >= copyWALBytes {
                return true
            }
        }
    }

    /// The WAL file's size: its length since the last restart, or `journal_size_limit` after one.
    private func walBytes() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: walPath))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private func checkpoint() {
        do {
            let row = try connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            let blocked = row.map { ($0[0] as Int?) == 1 } ?? false
            ServerMetrics.checkpoint(blocked: blocked)
            if blocked {
                logger.debug("checkpoint was blocked; it will be tried again after the next commit")
            }
        } catch {
            logger.warning("WAL checkpoint failed: \(error)")
        }
    }
}
