import FieldSyncClient
import Testing

/// The CSV cell rule of exports (``SpreadsheetCSV``). Kept here because this target already
/// links the client library; the LibreOffice round trip is in EndToEndTests.
@Suite("Spreadsheet-safe CSV cells")
struct SpreadsheetCSVTests {
    @Test("Values starting with = + - @ tab or CR get one leading apostrophe; others are unchanged")
    func neutralisation() {
        for value in ["=1+1", "+44 7700 900123", "-2+3", "@SUM(A1)", "\tindented", "\rreturn", "\r\nline", "=", "-"] {
            #expect(SpreadsheetCSV.neutralised(value) == "'" + value, "\(value.debugDescription)")
        }
        for value in ["", "Settled.", "Zoë — café", "a=b", " =1+1", "'=already", "1-2", "42", "\nnewline first"] {
            #expect(SpreadsheetCSV.neutralised(value) == value, "\(value.debugDescription)")
        }
    }

    @Test("Fields are neutralised, then quoted when they hold a comma, a quote or a line break; rows end CRLF")
    func quoting() {
        #expect(SpreadsheetCSV.field("plain") == "plain")
        #expect(SpreadsheetCSV.field("a,b") == "\"a,b\"")
        #expect(SpreadsheetCSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(SpreadsheetCSV.field("two\nlines") == "\"two\nlines\"")
        #expect(SpreadsheetCSV.field("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        #expect(SpreadsheetCSV.field("\rx") == "\"'\rx\"")
        #expect(SpreadsheetCSV.row(["id", "=1", "ok"]) == "id,'=1,ok\r\n")
        #expect(SpreadsheetCSV.byteOrderMark.utf8.elementsEqual([0xEF, 0xBB, 0xBF]))
    }
}
