import FieldSyncProtocol

/// Working days: Monday to Friday, except bank holidays (domain model §4). The first PEP and the
/// first looked-after review are counted in these, not in school days.
public struct WorkingDayCalendar: Sendable {
    public let bankHolidays: Set<CalendarDay>
    /// The holiday names, where the list gave them ("Christmas Day (substitute day)").
    public let bankHolidayNames: [CalendarDay: String]

    /// The first and last years the list has any holiday in, or nil for an empty list.
    /// Counting working days outside these years ignores that year's holidays, so callers that
    /// load their own list should check it covers the dates they work with.
    public var coveredYears: ClosedRange<Int>? {
        guard let first = bankHolidays.min(), let last = bankHolidays.max() else { return nil }
        return first.year...last.year
    }

    public init(bankHolidays: Set<CalendarDay>, names: [CalendarDay: String] = [:]) {
        self.bankHolidays = bankHolidays
        self.bankHolidayNames = names.filter { bankHolidays.contains($0.key) }
    }

    /// A calendar from a bank-holiday file (see ``BankHolidayFile`` for the format), so the server
    /// can load a list an administrator keeps up to date.
    /// - Throws: ``BankHolidayFileError`` naming the first bad line.
    public init(bankHolidaysText: String) throws(BankHolidayFileError) {
        let names = try BankHolidayFile.parse(bankHolidaysText)
        self.init(bankHolidays: Set(names.keys), names: names)
    }

    /// England and Wales bank holidays 2024 to 2028, from the list shipped in
    /// `EnglandAndWalesBankHolidays.swift`.
    public static let englandAndWales: WorkingDayCalendar = {
        do {
            return try WorkingDayCalendar(bankHolidaysText: EnglandAndWalesBankHolidays.text)
        } catch {
            // The shipped text is checked by the tests; this is unreachable in a tested build.
            fatalError("The shipped England and Wales bank holiday list does not parse: \(error)")
        }
    }()

    /// Monday to Friday and not a bank holiday.
    public func isWorkingDay(_ day: CalendarDay) -> Bool {
        !day.isWeekend && !bankHolidays.contains(day)
    }

    /// The `workingDays`-th working day after `day` (before it when negative); `day` itself when 0.
    /// `day` need not be a working day: 1 working day after a Saturday is the Monday (or the
    /// Tuesday when that Monday is a bank holiday).
    public func adding(workingDays: Int, to day: CalendarDay) -> CalendarDay {
        let step = workingDays < 0 ? -1 : 1
        var remaining = abs(workingDays)
        var current = day
        while remaining > 0 {
            current = current.adding(days: step)
            if isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// The number of working days after `start`, up to and including `end` (negative when `end`
    /// is before `start`), so `workingDays(from: d, to: adding(workingDays: n, to: d)) == n`.
    public func workingDays(from start: CalendarDay, to end: CalendarDay) -> Int {
        if end < start { return -workingDays(from: end, to: start) }
        var count = 0
        var current = start
        while current < end {
            current = current.adding(days: 1)
            if isWorkingDay(current) { count += 1 }
        }
        return count
    }
}
