import FieldSyncProtocol

/// The bank-holiday file format: one holiday per line, its date `YYYY-MM-DD`, then spaces or a
/// tab, then its name. A line whose first non-blank character is `#` is a comment; blank lines
/// are skipped. For example:
///
///     # England and Wales, from gov.uk/bank-holidays
///     2026-12-25 Christmas Day
///     2026-12-28 Boxing Day (substitute day)
///
/// A file must list at least one holiday, each date once, and only weekdays (a holiday that falls
/// at a weekend is replaced by a weekday "substitute day", which is the one to list).
enum BankHolidayFile {
    static func parse(_ text: String) throws(BankHolidayFileError) -> [CalendarDay: String] {
        var names: [CalendarDay: String] = [:]
        var firstLine: [CalendarDay: Int] = [:]
        // Splitting on `isNewline` treats "\r\n" (one Character) as one break, keeping line numbers right.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            if index == 0, line.first == "\u{FEFF}" { line = line.dropFirst() }  // byte-order mark
            line = line.trimmingBlanks()
            if line.isEmpty || line.first == "#" { continue }

            let dateText = line.prefix { !$0.isWhitespace }
            let name = String(line.dropFirst(dateText.count).trimmingBlanks())
            guard let day = CalendarDay(String(dateText)) else {
                throw BankHolidayFileError(
                    line: lineNumber,
                    message: "\"\(dateText)\" is not a real date written YYYY-MM-DD; "
                        + "each line must be a date, a space and the holiday's name.")
            }
            guard !name.isEmpty else {
                throw BankHolidayFileError(
                    line: lineNumber, message: "\(day) has no name; write the holiday's name after the date.")
            }
            if let earlier = firstLine[day] {
                throw BankHolidayFileError(
                    line: lineNumber, message: "\(day) is listed twice (first on line \(earlier)); remove one of them.")
            }
            guard !day.isWeekend else {
                throw BankHolidayFileError(
                    line: lineNumber,
                    message: "\(day) is a \(day.weekday == 6 ? "Saturday" : "Sunday"); "
                        + "list the weekday substitute day instead.")
            }
            names[day] = name
            firstLine[day] = lineNumber
        }
        guard !names.isEmpty else {
            throw BankHolidayFileError(
                line: 1, message: "The file lists no bank holidays; write one `YYYY-MM-DD name` per line.")
        }
        return names
    }
}

/// Why a bank-holiday file was refused: the line (counting from 1) and a sentence saying what to fix.
public struct BankHolidayFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "Line \(line): \(message)" }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
