import FieldSyncCompliance
import FieldSyncProtocol
import FieldSyncTestSupport
import Testing

@Suite("Working days: weekends and England and Wales bank holidays")
struct ComplianceWorkingDayTests {
    typealias F = ComplianceFixtures
    let calendar = WorkingDayCalendar.englandAndWales

    @Test(arguments: [
        ("2026-07-01", true), ("2026-12-24", true), ("2026-12-25", false), ("2026-12-26", false),
        ("2026-12-27", false), ("2026-12-28", false), ("2026-12-29", true), ("2027-01-01", false),
        ("2027-03-26", false), ("2027-03-29", false), ("2027-03-30", true), ("2028-01-03", false),
        ("2028-01-04", true), ("2026-05-04", false), ("2026-08-31", false),
    ])
    func isWorkingDay(_ text: String, _ expected: Bool) {
        #expect(calendar.isWorkingDay(F.day(text)) == expected)
    }

    @Test(arguments: [
        // 20 working days over Christmas 2026: 25 and 28 December and 1 January are skipped
        // (plain weekdays would give 11 January).
        ("2026-12-14", 20, "2027-01-14"),
        // 20 working days over Easter 2027: Good Friday 26 March and Easter Monday 29 March skipped.
        ("2027-03-15", 20, "2027-04-14"),
        ("2026-07-03", 1, "2026-07-06"),  // Friday to Monday
        ("2026-05-01", 1, "2026-05-05"),  // over the early May bank holiday
        ("2026-12-26", 1, "2026-12-29"),  // from a Saturday, over the substitute Boxing Day
        ("2026-07-01", 5, "2026-07-08"),
        ("2026-07-04", 0, "2026-07-04"),  // 0 is the day itself, even a Saturday
        ("2027-01-04", -1, "2026-12-31"),  // backwards over New Year's Day and a weekend
        ("2027-04-14", -20, "2027-03-15"),
    ])
    func addingWorkingDays(_ start: String, _ count: Int, _ expected: String) {
        #expect(calendar.adding(workingDays: count, to: F.day(start)) == F.day(expected))
    }

    /// From random dates in 2024 to 2028: the result is a working day and exactly N working days
    /// lie after the start, up to and including it (counted here day by day, independently).
    @Test func addingWorkingDaysLandsOnAWorkingDayAndCountsExactlyN() {
        var rng = SeededRandom(seed: 20_260_101)
        let first = F.day("2024-01-01").daysSinceEpoch
        let last = F.day("2028-10-31").daysSinceEpoch
        for _ in 0..<3_000 {
            let start = CalendarDay(daysSinceEpoch: Int.random(in: first...last, using: &rng))
            let count = Int.random(in: 1...45, using: &rng)
            let forwards = calendar.adding(workingDays: count, to: start)
            #expect(calendar.isWorkingDay(forwards), "\(start) + \(count)")
            #expect(countWorkingDays(after: start, upTo: forwards) == count, "\(start) + \(count)")
            #expect(calendar.workingDays(from: start, to: forwards) == count)

            let backwards = calendar.adding(workingDays: -count, to: start)
            #expect(calendar.isWorkingDay(backwards), "\(start) - \(count)")
            // Backwards, the result counts and the start does not: N working days from it to the day before the start.
            #expect(countWorkingDays(after: backwards.adding(days: -1), upTo: start.adding(days: -1)) == count)
        }
    }

    private func countWorkingDays(after start: CalendarDay, upTo end: CalendarDay) -> Int {
        var count = 0
        var day = start.adding(days: 1)
        while day <= end {
            if day.weekday <= 5 && !calendar.bankHolidays.contains(day) { count += 1 }
            day = day.adding(days: 1)
        }
        return count
    }

    @Test func shippedListCovers2024To2028WithEightHolidaysAYear() {
        #expect(calendar.coveredYears == 2024...2028)
        for year in 2024...2028 {
            #expect(calendar.bankHolidays.filter { $0.year == year }.count == 8, "\(year)")
        }
        #expect(calendar.bankHolidayNames[F.day("2026-12-28")] == "Boxing Day (substitute day)")
    }

    /// The shipped dates against the rules that make them: New Year's Day, Good Friday and Easter
    /// Monday (from a computed Easter), the first and last Mondays in May, the last Monday in
    /// August, Christmas Day and Boxing Day, each moved to the next free weekday if at a weekend.
    @Test(arguments: 2024...2028)
    func shippedListMatchesTheRules(_ year: Int) {
        let easter = Self.easterSunday(year)
        var expected: Set<CalendarDay> = [easter.adding(days: -2), easter.adding(days: 1)]
        expected.insert(Self.nextWeekday(onOrAfter: F.day("\(year)-01-01")))
        expected.insert(Self.nextWeekday(onOrAfter: F.day("\(year)-05-01"), weekday: 1))
        expected.insert(Self.nextWeekday(onOrAfter: F.day("\(year)-05-25"), weekday: 1))
        expected.insert(Self.nextWeekday(onOrAfter: F.day("\(year)-08-25"), weekday: 1))
        let christmas = Self.nextWeekday(onOrAfter: F.day("\(year)-12-25"))
        expected.insert(christmas)
        expected.insert(Self.nextWeekday(onOrAfter: max(F.day("\(year)-12-26"), christmas.adding(days: 1))))
        #expect(calendar.bankHolidays.filter { $0.year == year } == expected)
    }

    @Test(arguments: [
        (2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2027, "2027-03-28"), (2028, "2028-04-16"), (2019, "2019-04-21"),
        (2038, "2038-04-25"),
    ])
    func easterComputation(_ year: Int, _ expected: String) {
        #expect(Self.easterSunday(year) == F.day(expected))
    }

    /// Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" algorithm).
    static func easterSunday(_ year: Int) -> CalendarDay {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CalendarDay(year: year, month: month, day: day)!
    }

    /// The first day on or after `day` that is `weekday`, or any weekday when nil.
    static func nextWeekday(onOrAfter day: CalendarDay, weekday: Int? = nil) -> CalendarDay {
        var current = day
        while current.isWeekend || (weekday.map { current.weekday != $0 } ?? false) { current = current.adding(days: 1) }
        return current
    }
}
