import Foundation

/// Reads an ISO 8601 instant: `YYYY-MM-DDTHH:MM:SS`, optionally `.` and one or more fraction
/// digits, then `Z`, `±HH:MM` or `±HHMM`.
///
/// These are the forms the wire format's `WireTime.parse` accepts (Foundation's
/// `ISO8601FormatStyle`), so every stored `actualStart` can be placed on a London day. It is parsed
/// by hand so the result never depends on the platform's Foundation or time zone data.
/// A time without a zone is refused: it would not say which instant it means.
public enum InstantText {
    /// The instant, or nil when `text` is not in one of the forms above or names a time that does
    /// not exist (hour 24, second 60, 30 February).
    public static func date(_ text: String) -> Date? {
        guard let parsed = parse(text) else { return nil }
        // A Double near 1.8e9 holds about 7 fraction digits, so .999999999 would round up into
        // the next second (and, at 22:59:59 UTC in summer, the next London day); stay inside it.
        let interval = TimeInterval(parsed.seconds) + parsed.fraction
        return Date(timeIntervalSince1970: min(interval, TimeInterval(parsed.seconds + 1).nextDown))
    }

    /// Whole seconds since 1970-01-01T00:00:00Z, the fraction dropped (rounded down).
    static func secondsSinceEpoch(_ text: String) -> Int? {
        parse(text)?.seconds
    }

    private static func parse(_ text: String) -> (seconds: Int, fraction: Double)? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, let day = CalendarDay(String(decoding: bytes[0..<10], as: UTF8.self)),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = CalendarDay.number(bytes[11..<13]), let minute = CalendarDay.number(bytes[14..<16]),
            let second = CalendarDay.number(bytes[17..<19]), hour < 24, minute < 60, second < 60
        else { return nil }

        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            let digitsStart = index + 1
            index = digitsStart
            while index < bytes.count, CalendarDay.number(bytes[index...index]) != nil { index += 1 }
            guard index > digitsStart,
                let value = Double("0." + String(decoding: bytes[digitsStart..<index], as: UTF8.self))
            else { return nil }
            fraction = value
        }
        guard let offset = zoneOffsetSeconds(bytes[index...]) else { return nil }

        let local = day.daysSinceEpoch * LondonTime.secondsPerDay + hour * 3600 + minute * 60 + second
        return (local - offset, fraction)
    }

    /// `Z` is 0; `+01:00` or `+0100` is 3600; `-05:00` is -18000. Nil for anything else.
    private static func zoneOffsetSeconds(_ zone: ArraySlice<UInt8>) -> Int? {
        let zone = Array(zone)
        if zone == [UInt8(ascii: "Z")] { return 0 }
        guard zone.count == 5 || zone.count == 6, zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-")
        else { return nil }
        let minutesStart = zone.count == 6 ? 4 : 3
        guard zone.count == 5 || zone[3] == UInt8(ascii: ":"),
            let hours = CalendarDay.number(zone[1..<3]),
            let minutes = CalendarDay.number(zone[minutesStart..<minutesStart + 2]),
            hours < 24, minutes < 60
        else { return nil }
        let magnitude = hours * 3600 + minutes * 60
        return zone[0] == UInt8(ascii: "+") ? magnitude : -magnitude
    }
}
