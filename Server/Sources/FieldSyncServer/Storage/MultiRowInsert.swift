import GRDB

/// Inserts many rows with few statements: `INSERT INTO t(a, b) VALUES (?, ?), (?, ?), …`.
///
/// The writer stores a history entry and an audit entry for every operation; one statement per
/// row paid GRDB's and SQLite's per-statement costs (binding, reset, step) fifty times a change
/// set. Rows go in chunks of `chunk`, so the statements cached are few (one per chunk length).
struct MultiRowInsert {
    let prefix: String
    let columnCount: Int
    let suffix: String
    let chunk: Int

    /// - Parameters:
    ///   - prefix: `INSERT INTO table(col1, col2, …)`, naming `columnCount` columns.
    ///   - suffix: what follows the values, e.g. an `ON CONFLICT` clause.
    init(_ prefix: String, columns: Int, suffix: String = "", chunk: Int = 50) {
        self.prefix = prefix
        columnCount = columns
        self.suffix = suffix
        self.chunk = chunk
    }

    func execute(_ rows: [[(any DatabaseValueConvertible)?]], in db: Database) throws {
        var start = 0
        while start < rows.count {
            let end = min(start + chunk, rows.count)
            let placeholders = "(" + Array(repeating: "?", count: columnCount).joined(separator: ", ") + ")"
            let sql = prefix + " VALUES " + Array(repeating: placeholders, count: end - start).joined(separator: ", ") + " " + suffix
            var values: [(any DatabaseValueConvertible)?] = []
            values.reserveCapacity((end - start) * columnCount)
            for row in rows[start..<end] {
                assert(row.count == columnCount, "a row of \(row.count) values for \(columnCount) columns")
                values.append(contentsOf: row)
            }
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(values))
            start = end
        }
    }
}
