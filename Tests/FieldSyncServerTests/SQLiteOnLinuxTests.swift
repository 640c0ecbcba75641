import FieldSyncProtocol
import Foundation
import GRDB
import Testing

@testable import FieldSyncServer

/// GRDB's Linux support is community-maintained: these pin what FieldSync relies on, on the
/// system SQLite: WAL mode, FULL sync, readers that run while a writer writes, and two
/// processes' pools (the server and an admin command) writing to one file through busy timeouts.
@Suite("SQLite on Linux: WAL, busy timeouts, concurrent readers")
struct SQLiteOnLinuxTests {
    @Test("The store is in WAL mode with synchronous=FULL")
    func pragmas() throws {
        let h = try ServerHarness()
        let (mode, sync): (String?, Int?) = try h.database.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2, "2 is FULL")
        // A new store is made with 16 KiB pages: a record document fills a good part of a 4 KiB
        // page, and every page costs two writes to the WAL at commit.
        #expect(try h.database.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") } == 16_384)
    }

    @Test("Readers see a consistent snapshot while the writer commits, and never wait for it")
    func concurrentReaders() async throws {
        let h = try ServerHarness()
        let device = try h.device("alice")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for n in 0..<40 {
                    _ = try await h.push(
                        device, [.create(UUID(), kind: .visit, youngPerson: h.youngPerson, fields: ["purpose": .string("visit \(n)")])])
                }
            }
            for _ in 0..<3 {
                group.addTask {
                    var last = 0
                    for _ in 0..<40 {
                        let (count, maxVersion): (Int, Int64) = try await h.database.pool.read { db in
                            (
                                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") ?? 0,
                                try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM records") ?? 0
                            )
                        }
                        #expect(count >= last, "a reader never sees records disappear")
                        #expect(Int64(count) == maxVersion, "versions are dense and visible in commit order")
                        last = count
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await h.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") } == 40)
    }

    @Test("A second pool on the same file (an admin command beside the server) writes through the busy timeout")
    func twoWriters() async throws {
        let h = try ServerHarness()
        let second = try ServerDatabase.open(dataDirectory: h.directory.path)
        let admin = AdminService(database: second)
        try h.ensureTeam("north")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let device = try h.device("alice")
                for _ in 0..<25 {
                    _ = try await h.push(device, [.create(UUID(), kind: .visit, youngPerson: h.youngPerson, fields: [:])])
                }
            }
            group.addTask {
                for n in 0..<25 { _ = try admin.addUser(name: "user\(n)", role: .socialWorker, team: "north") }
            }
            try await group.waitForAll()
        }
        #expect(try admin.listUsers().count >= 26)
        #expect(try AdminService(database: h.database).verifyAudit().intact, "both writers extended one unbroken chain")
    }
}
