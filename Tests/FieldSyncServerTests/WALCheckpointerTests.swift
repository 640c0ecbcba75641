import Foundation
import GRDB
import Logging
import Testing

@testable import FieldSyncServer

/// The serving process checkpoints on a connection of its own (``WALCheckpointer``) with SQLite's
/// automatic checkpoint off: commits never pay for the copy, and the WAL is still copied back.
@Suite("WAL checkpoints off the commit path")
struct WALCheckpointerTests {
    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func writeRows(_ database: ServerDatabase, count: Int) async throws {
        let blob = Data(repeating: 0x61, count: 2_000)
        for n in 0..<count {
            try await database.pool.write { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS filler(n INTEGER, body BLOB)")
                try db.execute(sql: "INSERT INTO filler VALUES (?, ?)", arguments: [n, blob])
            }
        }
    }

    @Test("With automatic checkpoints off, commits leave the pages in the WAL")
    func automaticOff() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fs-ckpt-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServerDatabase.open(dataDirectory: directory.path, automaticCheckpoints: false)
        let before = Self.fileSize(database.path)
        try await Self.writeRows(database, count: 600)  // about 1.2 MB, past SQLite's default 1,000-page threshold
        #expect(Self.fileSize(database.path) == before, "nothing was copied into the database file")
        #expect(Self.fileSize(database.path + "-wal") > 1_000_000)
    }

    @Test("The checkpointer copies the WAL into the database file after commits")
    func checkpointerCopies() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fs-ckpt-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServerDatabase.open(dataDirectory: directory.path, automaticCheckpoints: false)
        let checkpointer = try WALCheckpointer(databasePath: database.path, quietInterval: .milliseconds(10), logger: Logger(label: "test"))
        let running = Task { try await checkpointer.run() }
        defer { running.cancel() }
        let before = Self.fileSize(database.path)
        try await Self.writeRows(database, count: 600)
        checkpointer.committed()
        var grown = false
        for _ in 0..<200 where !grown {  // at most about 10 s
            try await Task.sleep(for: .milliseconds(50))
            grown = Self.fileSize(database.path) > before + 1_000_000
        }
        #expect(grown, "the database file holds the rows written through the WAL")
        let count = try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM filler") }
        #expect(count == 600)
    }

    /// Frames in the WAL now (a PASSIVE checkpoint reports them; copying them changes nothing here).
    static func walFrames(_ database: ServerDatabase) async throws -> Int {
        try await database.pool.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")?[1] ?? -1 }
    }

    @Test("Under back-to-back commits the WAL only starts over when the writer checkpoints after a commit")
    func writerRestartsTheWAL() async throws {
        for writerCheckpoints in [false, true] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fs-ckpt-\(UUID())")
            defer { try? FileManager.default.removeItem(at: directory) }
            let database = try ServerDatabase.open(dataDirectory: directory.path, automaticCheckpoints: false)
            let checkpointer = try WALCheckpointer(
                databasePath: database.path, copyWALBytes: 256 * 1024, restartWALBytes: 512 * 1024, logger: Logger(label: "test"))
            try await Self.writeRows(database, count: 600)  // about 1.2 MB of WAL
            #expect(checkpointer.walNeedsRestart)
            if writerCheckpoints {
                try await database.pool.writeWithoutTransaction { db in checkpointer.restart(db) }
            }
            try await Self.writeRows(database, count: 1)
            let frames = try await Self.walFrames(database)
            if writerCheckpoints {
                #expect(frames < 10, "the WAL started over: \(frames) frames")
            } else {
                #expect(frames > 50, "the WAL kept growing: \(frames) frames")
            }
        }
    }
}
