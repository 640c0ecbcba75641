import Foundation

/// CSV that a spreadsheet opens safely and reads correctly.
///
/// - Written UTF-8 with a byte-order mark, so a spreadsheet's default import reads non-ASCII
///   text (names, accents, "£") as UTF-8 rather than guessing a legacy code page.
/// - A value that a spreadsheet would take as a formula, one starting with `=`, `+`, `-`, `@`, a
///   tab or a carriage return, gets a leading apostrophe (`=HYPERLINK(…)` is written
///   `'=HYPERLINK(…)`), so opening an export never runs what a device user typed ("CSV
///   injection"). The apostrophe is part of the value in the file: a program reading the CSV
///   back drops one leading `'` before those characters to get the value as stored.
/// - Fields holding a comma, a quote or a line break are quoted (RFC 4180), quotes doubled;
///   rows end with CRLF.
public enum SpreadsheetCSV {
    public static let byteOrderMark = "\u{FEFF}"

    /// The first characters that make a spreadsheet read a cell as a formula.
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// The value with a leading apostrophe when it starts like a formula, else unchanged.
    public static func neutralised(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, formulaStarts.contains(first) else { return value }
        return "'" + value
    }

    /// One CSV field: neutralised, then quoted where needed.
    public static func field(_ value: String) -> String {
        let safe = neutralised(value)
        if safe.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return safe
    }

    /// One CSV row, CRLF-terminated.
    public static func row(_ values: [String]) -> String {
        values.map(field).joined(separator: ",") + "\r\n"
    }
}
