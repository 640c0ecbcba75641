import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Copies committed pages from the write-ahead log back into the database file, on a connection
/// of its own, when pushes pause: no push waits for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that commit,
/// and every change set in its group, waited 150 to 250 ms for the copy and the database file's
/// fsync. The serving process turns the automatic checkpoint off and runs this instead. After a
/// commit it waits until no commit has come for `quietInterval`, then runs a PASSIVE checkpoint,
/// which never blocks the writer or readers. Under a long burst it does not wait past `maxDelay`
/// or a WAL of `maxWALBytes`. Durability does not depend on it (a commit is durable once it is in
/// the WAL); it keeps the WAL short, and keeps its fsync of the database file away from the
/// commits' own fsyncs while devices are pushing.
final class WALCheckpointer: Service, Sendable {
    private let connection: DatabaseQueue
    private let walPath: String
    private let commits: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let commitCount = Atomic<Int>(0)
    private let quietInterval: Duration
    private let maxDelay: Duration
    private let maxWALBytes: Int
    private let logger: Logger

    init(
        databasePath: String, quietInterval: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10),
        maxWALBytes: Int = 256 * 1024 * 1024, logger: Logger
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "fieldsync.checkpointer"
        connection = try DatabaseQueue(path: databasePath, configuration: configuration)
        walPath = databasePath + "-wal"
        (commits, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.quietInterval = quietInterval
        self.maxDelay = maxDelay
        self.maxWALBytes = maxWALBytes
        self.logger = logger
    }

    /// Tells the checkpointer the WAL grew. Cheap; never blocks.
    func committed() {
        commitCount.add(1, ordering: .relaxed)
        signal.yield()
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
    /// outgrows `maxWALBytes`. False when cancelled.
    private func waitForQuiet() async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: maxDelay)
        while true {
            let before = commitCount.load(ordering: .relaxed)
            do { try await Task.sleep(for: quietInterval) } catch { return false }
            if commitCount.load(ordering: .relaxed) == before || clock.now >= deadline || walBytes() >= maxWALBytes {
                return true
            }
        }
    }

    private func walBytes() -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: walPath))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private func checkpoint() {
        do {
            let row = try connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            if let row, (row[0] as Int?) == 1 {
                logger.debug("checkpoint was blocked; it will be tried again after the next commit")
            }
        } catch {
            logger.warning("WAL checkpoint failed: \(error)")
        }
    }
}
