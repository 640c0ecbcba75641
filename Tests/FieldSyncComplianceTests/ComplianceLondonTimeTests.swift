import FieldSyncCompliance
import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("London dates of instants (British Summer Time without time zone data)")
struct ComplianceLondonTimeTests {
    typealias F = ComplianceFixtures

    @Test(arguments: [
        // Summer: 23:30 UTC is 00:30 BST the next day. Winter: the same day.
        ("2026-07-01T23:30:00Z", "2026-07-02"), ("2026-01-15T23:30:00Z", "2026-01-15"),
        ("2026-07-01T22:59:59Z", "2026-07-01"), ("2026-07-01T23:00:00Z", "2026-07-02"),
        // Around the March change (01:00 UTC on Sunday 29 March 2026).
        ("2026-03-28T23:30:00Z", "2026-03-28"), ("2026-03-29T00:59:59Z", "2026-03-29"),
        ("2026-03-29T01:00:00Z", "2026-03-29"), ("2026-03-29T23:30:00Z", "2026-03-30"),
        // Around the October change (01:00 UTC on Sunday 25 October 2026).
        ("2026-10-24T23:30:00Z", "2026-10-25"), ("2026-10-25T00:59:59Z", "2026-10-25"),
        ("2026-10-25T01:00:00Z", "2026-10-25"), ("2026-10-25T23:30:00Z", "2026-10-25"),
        // Fractions and offsets.
        ("2026-07-01T23:30:00.250Z", "2026-07-02"), ("2026-07-01T22:59:59.999999999Z", "2026-07-01"),
        ("2026-07-02T00:30:00+01:00", "2026-07-02"), ("2026-07-01T23:30:00+01:00", "2026-07-01"),
        ("2026-01-15T23:30:00-05:00", "2026-01-16"), ("2027-01-01T00:00:00+0100", "2026-12-31"),
        ("2026-12-31T23:59:59.999Z", "2026-12-31"), ("2027-01-01T00:00:00Z", "2027-01-01"),
        ("2024-02-29T23:59:59+00:00", "2024-02-29"),
    ])
    func instantTextGivesTheLondonDay(_ instant: String, _ londonDay: String) throws {
        #expect(CalendarDay(instantText: instant) == F.day(londonDay))
        #expect(CalendarDay.london(F.instant(instant)) == F.day(londonDay))
    }

    @Test(arguments: [
        ("2026-03-29T00:59:59Z", 0), ("2026-03-29T01:00:00Z", 3600), ("2026-10-25T00:59:59Z", 3600),
        ("2026-10-25T01:00:00Z", 0), ("2027-10-31T00:59:59.999Z", 3600), ("2027-10-31T01:00:00Z", 0),
        ("2026-01-01T12:00:00Z", 0), ("2026-07-01T12:00:00Z", 3600),
    ])
    func offsetChangesAtTheExactInstant(_ instant: String, _ offset: Int) {
        #expect(LondonTime.utcOffsetSeconds(at: F.instant(instant)) == offset)
    }

    @Test(arguments: [
        (2024, "2024-03-31", "2024-10-27"), (2025, "2025-03-30", "2025-10-26"), (2026, "2026-03-29", "2026-10-25"),
        (2027, "2027-03-28", "2027-10-31"), (2028, "2028-03-26", "2028-10-29"),
    ])
    func summerTimeRunsFromTheLastSundayOfMarchToTheLastSundayOfOctober(_ year: Int, _ start: String, _ end: String) {
        #expect(LondonTime.summerTimeStart(year: year) == F.instant("\(start)T01:00:00Z"))
        #expect(LondonTime.summerTimeEnd(year: year) == F.instant("\(end)T01:00:00Z"))
    }

    @Test(arguments: [
        "2026-07-01", "2026-07-01T23:30:00", "2026-07-01T23:30Z", "2026-07-01 23:30:00Z", "2026-07-01t23:30:00z",
        "2026-07-01T24:00:00Z", "2026-07-01T23:60:00Z", "2026-07-01T23:30:60Z", "2026-02-30T10:00:00Z",
        "2026-07-01T23:30:00.Z", "2026-07-01T23:30:00+1:00", "2026-07-01T23:30:00+01:0", "2026-07-01T23:30:00+01-00",
        "2026-07-01T23:30:00+24:00", "2026-07-01T23:30:00ZZ", "garbage", "",
    ])
    func refusesTextThatIsNotAnInstant(_ text: String) {
        #expect(CalendarDay(instantText: text) == nil)
        #expect(InstantText.date(text) == nil)
    }

    /// Every form the wire format accepts reads as the same instant here.
    @Test(arguments: [
        "2026-07-01T23:30:00Z", "2026-07-01T23:30:00.123Z", "2026-07-01T23:30:00+01:00", "2026-07-01T23:30:00.5+0100",
        "2026-01-15T08:00:00-05:00",
    ])
    func agreesWithTheWireFormat(_ text: String) throws {
        let wire = try #require(WireTime.parse(text))
        let here = try #require(InstantText.date(text))
        #expect(abs(wire.timeIntervalSince(here)) < 0.001)
    }

    /// Random instants from 2000 to 2037, many within two hours of a change-over, against the
    /// system's Europe/London zone where this machine has time zone data.
    @Test(.enabled(if: TimeZone(identifier: "Europe/London") != nil))
    func agreesWithTheSystemTimeZoneData() throws {
        var london = Calendar(identifier: .gregorian)
        london.timeZone = try #require(TimeZone(identifier: "Europe/London"))
        var rng = SeededRandom(seed: 0xB57)
        for index in 0..<5_000 {
            let seconds: TimeInterval
            if index.isMultiple(of: 2) {
                seconds = TimeInterval(Int.random(in: 946_684_800...2_114_380_800, using: &rng))
            } else {
                let year = Int.random(in: 2000...2037, using: &rng)
                let changeOver =
                    Bool.random(using: &rng)
                    ? LondonTime.summerTimeStart(year: year) : LondonTime.summerTimeEnd(year: year)
                // Shift to 23:xx UTC on either side of the change, where the offset decides the day.
                seconds = changeOver.timeIntervalSince1970 + TimeInterval(Int.random(in: -93_600...86_400, using: &rng))
            }
            let instant = Date(timeIntervalSince1970: seconds)
            let parts = london.dateComponents([.year, .month, .day], from: instant)
            let day = CalendarDay.london(instant)
            #expect([parts.year, parts.month, parts.day] == [day.year, day.month, day.day], "at \(instant)")
            #expect(LondonTime.utcOffsetSeconds(at: instant) == london.timeZone.secondsFromGMT(for: instant))
        }
    }
}
