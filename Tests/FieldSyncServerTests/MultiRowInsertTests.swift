import Foundation
import GRDB
import Testing

@testable import FieldSyncServer

/// The writer's multi-row inserts bind values with SQLite's C API: what goes in must read back
/// exactly, in chunks, and a bad row or a broken constraint must fail without a partial write.
@Suite("Multi-row inserts")
struct MultiRowInsertTests {
    static func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t(n INTEGER PRIMARY KEY, label TEXT, body BLOB, flag INTEGER)")
        }
        return queue
    }

    /// Nil, empty or non-ASCII text with quotes, by row.
    static func label(_ n: Int) -> String? {
        if n % 7 == 0 { return nil }
        return n % 5 == 0 ? "" : "café \"\(n)\" 😀"
    }

    /// Nil, empty or a few bytes, by row.
    static func body(_ n: Int) -> Data? {
        if n % 3 == 0 { return nil }
        return n % 4 == 0 ? Data() : Data([0, 1, 2, UInt8(n)])
    }

    static let insert = MultiRowInsert("INSERT INTO t(n, label, body, flag)", columns: 4, chunk: 50)

    @Test("Text (empty, non-ASCII), blobs (empty), integers, booleans and nulls read back as written, across chunks")
    func roundTrip() throws {
        let queue = try Self.database()
        let rows: [[SQLValue]] = (0..<120).map { n in
            [.integer(Int64(n) - 60), .text(Self.label(n)), Self.body(n).map { .blob($0) } ?? .null, .bool(n % 2 == 0)]
        }
        try queue.write { db in try Self.insert.execute(rows, in: db) }
        let stored = try queue.read { db in try Row.fetchAll(db, sql: "SELECT n, label, body, flag FROM t ORDER BY n") }
        #expect(stored.count == 120)
        for (n, row) in stored.enumerated() {
            #expect(row["n"] as Int64 == Int64(n) - 60)
            let label: String? = row["label"]
            #expect(label == Self.label(n), "row \(n)")
            let body: Data? = row["body"]
            #expect(body == Self.body(n), "row \(n)")
            #expect(row["flag"] as Bool == (n % 2 == 0))
        }
    }

    @Test("A row with the wrong number of values, or a broken constraint, throws and the transaction keeps nothing")
    func failures() throws {
        let queue = try Self.database()
        #expect(throws: DatabaseError.self) {
            try queue.write { db in try Self.insert.execute([[.integer(1), .text("a"), .null, .bool(true)], [.integer(2)]], in: db) }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in
                try Self.insert.execute(
                    [[.integer(1), .text("a"), .null, .bool(true)], [.integer(1), .text("b"), .null, .bool(false)]], in: db)
            }
        }
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 0)
        // The cached statement is usable again after a failure.
        try queue.write { db in try Self.insert.execute([[.integer(3), .text("c"), .null, .bool(false)]], in: db) }
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") } == 1)
    }
}
