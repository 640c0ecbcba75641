import FieldSyncCompliance
import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("CalendarDay: London dates, parsing and arithmetic")
struct ComplianceCalendarDayTests {
    typealias F = ComplianceFixtures

    @Test(arguments: ["2026-03-01", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31", "1970-01-01"])
    func parsesAndPrintsBack(_ text: String) throws {
        let day = try #require(CalendarDay(text))
        #expect(day.description == text)
    }

    @Test(arguments: [
        "", "2026-3-01", "2026-03-1", "20260301", "2026/03/01", " 2026-03-01", "2026-03-01 ", "2026-03-01T00:00:00Z",
        "2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "2026-04-31", "0000-01-01",
        "2026-0a-01", "+202-03-01", "-026-03-01", "２０２６-03-01",
    ])
    func refusesAnythingButARealDate(_ text: String) {
        #expect(CalendarDay(text) == nil)
    }

    @Test func partsAndMemberwiseInit() throws {
        let day = try #require(CalendarDay(year: 2026, month: 12, day: 28))
        #expect((day.year, day.month, day.day) == (2026, 12, 28))
        #expect(CalendarDay(year: 2026, month: 2, day: 29) == nil)
        #expect(CalendarDay(year: 10_000, month: 1, day: 1) == nil)
    }

    @Test func encodesAsItsText() throws {
        struct Holder: Codable, Equatable { var on: CalendarDay }
        let data = try JSONEncoder().encode(Holder(on: F.day("2026-03-02")))
        #expect(String(decoding: data, as: UTF8.self) == #"{"on":"2026-03-02"}"#)
        #expect(try JSONDecoder().decode(Holder.self, from: data) == Holder(on: F.day("2026-03-02")))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"on":"2026-02-30"}"#.utf8))
        }
    }

    @Test(arguments: [
        ("2026-12-31", 1, "2027-01-01"), ("2024-02-28", 1, "2024-02-29"), ("2025-02-28", 1, "2025-03-01"),
        ("2026-03-01", -1, "2026-02-28"), ("2026-01-01", 365, "2027-01-01"), ("2024-01-01", 366, "2025-01-01"),
        ("2000-02-28", 1, "2000-02-29"), ("1900-02-28", 1, "1900-03-01"), ("2026-03-02", 0, "2026-03-02"),
        ("1970-01-01", -1, "1969-12-31"),
    ])
    func addingDays(_ start: String, _ days: Int, _ expected: String) {
        #expect(F.day(start).adding(days: days) == F.day(expected))
        #expect(F.day(start).days(until: F.day(expected)) == days)
    }

    @Test(arguments: [
        ("2026-01-31", 1, "2026-02-28"), ("2024-01-31", 1, "2024-02-29"), ("2025-11-30", 3, "2026-02-28"),
        ("2027-11-30", 3, "2028-02-29"), ("2026-11-29", 3, "2027-02-28"), ("2026-03-31", -1, "2026-02-28"),
        ("2026-12-15", 1, "2027-01-15"), ("2026-01-15", -1, "2025-12-15"), ("2024-02-29", 12, "2025-02-28"),
        ("2026-08-31", 2, "2026-10-31"), ("2026-12-31", 2, "2027-02-28"), ("2026-05-31", 1, "2026-06-30"),
        ("2026-03-15", -15, "2024-12-15"), ("2026-03-15", 0, "2026-03-15"),
    ])
    func addingCalendarMonthsClampsToTheMonthEnd(_ start: String, _ months: Int, _ expected: String) {
        #expect(F.day(start).adding(months: months) == F.day(expected))
    }

    @Test(arguments: [
        ("1970-01-01", 4), ("2000-01-01", 6), ("2024-02-29", 4), ("2026-01-01", 4), ("2026-03-01", 7),
        ("2026-12-25", 5), ("2026-12-26", 6), ("2027-12-26", 7), ("1900-01-01", 1),
    ])
    func weekdayIsOneForMondayToSevenForSunday(_ text: String, _ weekday: Int) {
        #expect(F.day(text).weekday == weekday)
        #expect(F.day(text).isWeekend == (weekday >= 6))
    }

    @Test func ordersByDate() {
        let days = ["2026-03-02", "2025-12-31", "2026-02-28", "2026-03-01"].map(F.day)
        #expect(days.sorted().map(\.description) == ["2025-12-31", "2026-02-28", "2026-03-01", "2026-03-02"])
    }

    /// Random dates from 1900 to 2100 against Foundation's Gregorian calendar in UTC (which needs
    /// no time zone data), and day arithmetic against itself.
    @Test func arithmeticAgreesWithFoundationsGregorianCalendar() throws {
        var rng = SeededRandom(seed: 0xCA1E_0DA7)
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = try #require(TimeZone(secondsFromGMT: 0))
        let first = F.day("1900-01-01").daysSinceEpoch
        let last = F.day("2100-12-31").daysSinceEpoch
        for _ in 0..<2_000 {
            let day = CalendarDay(daysSinceEpoch: Int.random(in: first...last, using: &rng))
            let midnight = Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400))
            let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: midnight)
            #expect([parts.year, parts.month, parts.day] == [day.year, day.month, day.day])
            // Foundation counts Sunday as 1.
            #expect(parts.weekday.map { ($0 + 5) % 7 + 1 } == day.weekday)
            #expect(CalendarDay(day.description) == day)

            let step = Int.random(in: -2_000...2_000, using: &rng)
            #expect(day.adding(days: step).adding(days: -step) == day)
            #expect(day.days(until: day.adding(days: step)) == step)
            #expect((day.adding(days: step) > day) == (step > 0))

            let months = Int.random(in: -40...40, using: &rng)
            let moved = day.adding(months: months)
            let expected = try #require(gregorian.date(byAdding: .month, value: months, to: midnight))
            let expectedParts = gregorian.dateComponents([.year, .month, .day], from: expected)
            #expect([expectedParts.year, expectedParts.month, expectedParts.day] == [moved.year, moved.month, moved.day])
        }
    }
}
