import GRDB
import Logging
import ServiceLifecycle

/// Copies committed pages from the write-ahead log back into the database file, on a connection
/// of its own, so no push ever waits for a checkpoint.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that commit,
/// and every change set in its group, waited 150 to 250 ms for the copy and the database file's
/// fsync. The serving process turns the automatic checkpoint off and runs this instead: after
/// commits, at most every `interval`, a PASSIVE checkpoint copies what it can without blocking the
/// writer or readers. Durability does not depend on it (a commit is durable once in the WAL); it
/// only keeps the WAL short.
final class WALCheckpointer: Service, Sendable {
    private let connection: DatabaseQueue
    private let commits: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let interval: Duration
    private let logger: Logger

    init(databasePath: String, interval: Duration = .milliseconds(250), logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "fieldsync.checkpointer"
        connection = try DatabaseQueue(path: databasePath, configuration: configuration)
        (commits, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.interval = interval
        self.logger = logger
    }

    /// Tells the checkpointer the WAL grew. Cheap; never blocks.
    func committed() { signal.yield() }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in commits {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    break  // cancelled: the server is stopping
                }
                checkpoint()
            }
        } onGracefulShutdown: {
            self.signal.finish()
        }
        checkpoint()
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
