import Foundation

/// Europe/London civil time, computed from the UK summer-time rule rather than the system's time
/// zone data, which is missing from slim Linux server images and can differ between devices.
///
/// The rule (Summer Time Order 2002, in line with EU Directive 2000/84/EC; the same since 1996):
/// British Summer Time, UTC+1, runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on
/// the last Sunday of October; the rest of the year London keeps GMT, UTC+0. Instants before
/// 1996 followed other rules and may be placed on the wrong day around the changes; the records
/// FieldSync handles are all later than that. If Parliament changes the rule, change it here.
public enum LondonTime {
    /// The instant British Summer Time starts in `year`: 01:00 UTC on the last Sunday of March.
    public static func summerTimeStart(year: Int) -> Date {
        changeOver(on: CalendarDay.last(weekday: 7, of: 3, year: year))
    }

    /// The instant British Summer Time ends in `year`: 01:00 UTC on the last Sunday of October.
    public static func summerTimeEnd(year: Int) -> Date {
        changeOver(on: CalendarDay.last(weekday: 7, of: 10, year: year))
    }

    /// London's offset from UTC at `instant`, in seconds: 3600 in summer time, otherwise 0.
    public static func utcOffsetSeconds(at instant: Date) -> Int {
        utcOffsetSeconds(atSecondsSinceEpoch: wholeSeconds(instant))
    }

    static func utcOffsetSeconds(atSecondsSinceEpoch seconds: Int) -> Int {
        // Summer time never spans a New Year, so the UTC year is the year whose rule applies.
        let year = CalendarDay(daysSinceEpoch: seconds.floorDivided(by: secondsPerDay)).year
        let start = changeOverSeconds(on: CalendarDay.last(weekday: 7, of: 3, year: year))
        let end = changeOverSeconds(on: CalendarDay.last(weekday: 7, of: 10, year: year))
        return (start..<end).contains(seconds) ? 3600 : 0
    }

    /// The London calendar date at a number of seconds since 1970-01-01T00:00:00Z.
    static func day(atSecondsSinceEpoch seconds: Int) -> CalendarDay {
        let local = seconds + utcOffsetSeconds(atSecondsSinceEpoch: seconds)
        return CalendarDay(daysSinceEpoch: local.floorDivided(by: secondsPerDay))
    }

    /// Whole seconds since the epoch, rounded down. Every day boundary and change-over falls on a
    /// whole second, so dropping the fraction never moves an instant to another day.
    static func wholeSeconds(_ instant: Date) -> Int {
        Int(instant.timeIntervalSince1970.rounded(.down))
    }

    static let secondsPerDay = 86_400

    private static func changeOverSeconds(on sunday: CalendarDay) -> Int {
        sunday.daysSinceEpoch * secondsPerDay + 3600
    }

    private static func changeOver(on sunday: CalendarDay) -> Date {
        Date(timeIntervalSince1970: TimeInterval(changeOverSeconds(on: sunday)))
    }
}

extension CalendarDay {
    /// The Europe/London calendar date at `instant` (see ``LondonTime`` for the rule used).
    /// An instant at 23:30 UTC on a summer day is already the next day in London; in winter it is
    /// the same day.
    public static func london(_ instant: Date) -> CalendarDay {
        LondonTime.day(atSecondsSinceEpoch: LondonTime.wholeSeconds(instant))
    }

    /// The London date of an ISO 8601 instant such as `2026-07-01T23:30:00Z`,
    /// `2026-07-01T23:30:00.250Z` or `2026-07-02T00:30:00+01:00` (see ``InstantText``);
    /// nil when the text is not such an instant.
    public init?(instantText: String) {
        guard let seconds = InstantText.secondsSinceEpoch(instantText) else { return nil }
        self = LondonTime.day(atSecondsSinceEpoch: seconds)
    }
}
