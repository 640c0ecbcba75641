/// Day, month and weekday arithmetic on ``CalendarDay``, in the proleptic Gregorian calendar.
///
/// Days are counted from 1970-01-01 with Howard Hinnant's `days_from_civil` / `civil_from_days`
/// algorithms, so no Foundation `Calendar` (and no time zone data) is involved.
extension CalendarDay {
    /// Whether `year` has a 29 February.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in `month` (1 to 12) of `year`.
    public static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The date `days` days later (earlier when negative).
    public func adding(days: Int) -> CalendarDay {
        CalendarDay(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// The same day `months` calendar months later (earlier when negative), clamped to the end of
    /// a shorter month: 31 January + 1 month is 28 February (29 in a leap year).
    /// This is how the domain model reads "two months" and "three months" (§4).
    public func adding(months: Int) -> CalendarDay {
        let monthIndex = year * 12 + (month - 1) + months
        let newYear = monthIndex.floorDivided(by: 12)
        let newMonth = monthIndex - newYear * 12 + 1
        return CalendarDay(unchecked: newYear, newMonth, min(day, Self.daysInMonth(newMonth, year: newYear)))
    }

    /// The number of days from this date to `other`: positive when `other` is later.
    public func days(until other: CalendarDay) -> Int {
        other.daysSinceEpoch - daysSinceEpoch
    }

    /// The ISO weekday: 1 is Monday, 7 is Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (4).
        (daysSinceEpoch + 3).floorModulo(7) + 1
    }

    /// Saturday or Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    /// Days since 1970-01-01 (negative before it).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `daysSinceEpoch` days after 1970-01-01.
    public init(daysSinceEpoch: Int) {
        let shifted = daysSinceEpoch + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(unchecked: year, month, day)
    }

    /// The last `weekday` (1 Monday … 7 Sunday) of `month` in `year`.
    static func last(weekday: Int, of month: Int, year: Int) -> CalendarDay {
        let monthEnd = CalendarDay(unchecked: year, month, daysInMonth(month, year: year))
        return monthEnd.adding(days: -(monthEnd.weekday - weekday).floorModulo(7))
    }
}

extension Int {
    /// Division rounding towards minus infinity (Swift's `/` rounds towards zero).
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that takes the sign of the divisor, so weekdays of early dates stay in range.
    func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
