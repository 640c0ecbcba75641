import FieldSyncCompliance
import FieldSyncProtocol
import Testing

@Suite("Bank-holiday file: the admin-updatable list")
struct ComplianceBankHolidayFileTests {
    typealias F = ComplianceFixtures

    @Test func readsDatesAndNamesSkippingCommentsAndBlankLines() throws {
        let text =
            "\u{FEFF}# England and Wales\r\n\r\n  2026-12-25 Christmas Day\r\n\t# indented comment\n2026-12-28\tBoxing Day (substitute day)  \n\n"
        let calendar = try WorkingDayCalendar(bankHolidaysText: text)
        #expect(calendar.bankHolidays == [F.day("2026-12-25"), F.day("2026-12-28")])
        #expect(calendar.bankHolidayNames[F.day("2026-12-25")] == "Christmas Day")
        #expect(calendar.bankHolidayNames[F.day("2026-12-28")] == "Boxing Day (substitute day)")
        #expect(calendar.coveredYears == 2026...2026)
        #expect(!calendar.isWorkingDay(F.day("2026-12-28")))
        #expect(calendar.isWorkingDay(F.day("2027-01-01")))  // not in this file
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let message: String
        var testDescription: String { "line \(line): \(message)" }
    }

    @Test(arguments: [
        BadFile(
            text: "2026-12-25 Christmas Day\n2026-13-01 Nonsense", line: 2,
            message: "\"2026-13-01\" is not a real date written YYYY-MM-DD; each line must be a date, a space and the holiday's name."),
        BadFile(
            text: "Christmas 2026-12-25", line: 1,
            message: "\"Christmas\" is not a real date written YYYY-MM-DD; each line must be a date, a space and the holiday's name."),
        BadFile(
            text: "2026-12-25Christmas", line: 1,
            message:
                "\"2026-12-25Christmas\" is not a real date written YYYY-MM-DD; each line must be a date, a space and the holiday's name."),
        BadFile(text: "# header\n\n2026-12-25", line: 3, message: "2026-12-25 has no name; write the holiday's name after the date."),
        BadFile(
            text: "2026-12-25 Christmas Day\n\n2026-12-25 Christmas again", line: 3,
            message: "2026-12-25 is listed twice (first on line 1); remove one of them."),
        BadFile(text: "2026-12-26 Boxing Day", line: 1, message: "2026-12-26 is a Saturday; list the weekday substitute day instead."),
        BadFile(text: "2027-12-26 Boxing Day", line: 1, message: "2027-12-26 is a Sunday; list the weekday substitute day instead."),
        BadFile(
            text: "\r\n2026-12-25 Christmas Day\r\n2026-02-30 Nope", line: 3,
            message: "\"2026-02-30\" is not a real date written YYYY-MM-DD; each line must be a date, a space and the holiday's name."),
        BadFile(text: "", line: 1, message: "The file lists no bank holidays; write one `YYYY-MM-DD name` per line."),
        BadFile(text: "# only a comment\n\n", line: 1, message: "The file lists no bank holidays; write one `YYYY-MM-DD name` per line."),
    ])
    func refusesABadFileNamingTheLine(_ bad: BadFile) {
        #expect(throws: BankHolidayFileError(line: bad.line, message: bad.message)) {
            try WorkingDayCalendar(bankHolidaysText: bad.text)
        }
    }

    @Test func errorReadsAsASentenceWithItsLine() {
        let error = BankHolidayFileError(line: 4, message: "2026-12-25 has no name; write the holiday's name after the date.")
        #expect(error.description == "Line 4: 2026-12-25 has no name; write the holiday's name after the date.")
    }
}
