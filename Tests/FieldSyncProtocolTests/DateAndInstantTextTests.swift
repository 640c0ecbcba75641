import FieldSyncProtocol
import Foundation
import PropertyBased
import Testing

/// One date reader (`CalendarDay`) and one instant reader (`InstantText`) for every path: record
/// validation, compliance and tokens (issue 10). Before, validation read dates with `Int(_:)`, so
/// `+202-01-01` passed it while the compliance rules refused it and the visit dropped out of them.
@Suite("Dates and instants: what validation accepts, the rules can place")
struct DateAndInstantTextTests {
    func accepts(_ field: String, _ text: String, kind: RecordKind = .visit) -> Bool {
        (try? FieldValidation.check([field: .string(text)], of: kind, context: "test")) != nil
    }

    @Test(
        "Dates that are not exactly YYYY-MM-DD in ASCII digits are refused",
        arguments: [
            "+202-01-01", "-202-01-01", "2026-+1-01", "2026-01-+1", " 026-01-01", "2026-1-01", "2026-02-30", "2027-02-29",
            "0000-01-01", "2026-13-01", "2026-00-10", "٢٠٢٦-٠١-٠١",
        ])
    func refusedDates(text: String) {
        #expect(!accepts("nextPepDate", text, kind: .pep))
        #expect(CalendarDay(text) == nil)
    }

    @Test(
        "Real dates are accepted by validation and read by the rules alike",
        arguments: [
            "2026-01-01", "2024-02-29", "2026-12-31", "0001-01-01", "9999-12-31",
        ])
    func acceptedDates(text: String) {
        #expect(accepts("nextPepDate", text, kind: .pep))
        #expect(CalendarDay(text)?.description == text)
    }

    @Test(
        "Instants: the forms the wire takes, and the ones it refuses",
        arguments: [
            ("2026-11-22T09:30:00.000Z", true), ("2026-11-22T09:30:00Z", true), ("2026-11-22T09:30:00+01:00", true),
            ("2026-11-22T09:30:00.5-0500", true), ("+202-01-01T00:00:00Z", false), ("2026-11-22T09:30:00", false),
            ("2026-11-22T24:00:00Z", false), ("2026-02-30T10:00:00Z", false), ("2026-11-22 09:30:00Z", false),
        ])
    func instants(text: String, valid: Bool) {
        #expect(accepts("actualStart", text) == valid)
        #expect((WireTime.parse(text) != nil) == valid)
        if valid, let instant = WireTime.parse(text) {
            // Every accepted instant has a London day, so the visit is counted by the rules.
            #expect(CalendarDay(CalendarDay.london(instant).description) != nil)
        }
    }

    @Test("What WireTime writes, it reads back to the millisecond (random instants over 1970 to 2100)")
    func roundTrip() async {
        await propertyCheck(count: 2_000, input: Gen.int64(in: 0...4_102_444_800_000)) { millis in
            let instant = Date(timeIntervalSince1970: Double(millis) / 1000)
            let text = WireTime.format(instant)
            let back = WireTime.parse(text)
            #expect(
                back.map { abs($0.timeIntervalSince(instant)) < 0.001 } == true,
                "\(text) \(instant.timeIntervalSince1970) \(back?.timeIntervalSince1970 ?? -1)")
        }
    }
}
