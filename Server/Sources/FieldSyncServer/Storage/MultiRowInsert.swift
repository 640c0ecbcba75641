import Foundation
import GRDB
import GRDBSQLite

/// A value for one column of a row the writer inserts.
enum SQLValue {
    case text(String)
    case blob(Data)
    case integer(Int64)
    case null

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .integer(value ? 1 : 0) }
}

/// Inserts many rows with few statements: `INSERT INTO t(a, b) VALUES (?, ?), (?, ?), …`.
///
/// The writer stores a history entry and an audit entry for every operation; one statement per
/// row paid GRDB's and SQLite's per-statement costs (binding, reset, step) fifty times a change
/// set. Rows go in chunks of `chunk`, so the statements cached are few (one per chunk length).
/// The values are bound with SQLite's C API on GRDB's cached statement: GRDB's general argument
/// conversion was a quarter of the time these inserts took on the writer thread.
struct MultiRowInsert {
    let columnCount: Int
    let chunk: Int
    /// The statement for `n` rows at index `n - 1`, written once rather than on every insert.
    private let sqlByRowCount: [String]

    /// - Parameters:
    ///   - prefix: `INSERT INTO table(col1, col2, …)`, naming `columnCount` columns.
    ///   - suffix: what follows the values, e.g. an `ON CONFLICT` clause.
    init(_ prefix: String, columns: Int, suffix: String = "", chunk: Int = 50) {
        columnCount = columns
        self.chunk = chunk
        let placeholders = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        sqlByRowCount = (1...chunk).map { rows in
            prefix + " VALUES " + Array(repeating: placeholders, count: rows).joined(separator: ", ") + " " + suffix
        }
    }

    func execute(_ rows: [[SQLValue]], in db: Database) throws {
        var start = 0
        while start < rows.count {
            let end = min(start + chunk, rows.count)
            let statement = try db.cachedStatement(sql: sqlByRowCount[end - start - 1])
            try Self.run(statement, rows: rows[start..<end], columns: columnCount, in: db)
            start = end
        }
    }

    /// SQLite copies each value when it is bound (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func run(_ statement: Statement, rows: ArraySlice<[SQLValue]>, columns: Int, in db: Database) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        var index: Int32 = 1
        for row in rows {
            guard row.count == columns else {
                throw DatabaseError(
                    resultCode: .SQLITE_MISUSE, message: "a row of \(row.count) values for \(columns) columns", sql: statement.sql)
            }
            for value in row {
                let code: Int32
                switch value {
                case .text(var text):
                    if text.isEmpty {
                        code = sqlite3_bind_text(handle, index, "", 0, transient)
                    } else {
                        code = text.withUTF8 { utf8 in
                            utf8.withMemoryRebound(to: CChar.self) {
                                sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient)
                            }
                        }
                    }
                case .blob(let data):
                    code =
                        data.isEmpty
                        ? sqlite3_bind_zeroblob(handle, index, 0)
                        : data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
                case .integer(let number):
                    code = sqlite3_bind_int64(handle, index, number)
                case .null:
                    code = sqlite3_bind_null(handle, index)
                }
                guard code == SQLITE_OK else { throw error(code, statement, db) }
                index += 1
            }
        }
        let step = sqlite3_step(handle)
        guard step == SQLITE_DONE else { throw error(step, statement, db) }
    }

    private static func error(_ code: Int32, _ statement: Statement, _ db: Database) -> DatabaseError {
        let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
