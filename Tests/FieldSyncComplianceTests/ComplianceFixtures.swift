import FieldSyncCompliance
import FieldSyncProtocol
import Foundation

/// Shorthands for the compliance tests: dates written as text, and facts built from them.
enum ComplianceFixtures {
    static let personID = UUID(uuidString: "6F1C2D3E-4A5B-4C6D-8E7F-0A1B2C3D4E5F")!

    /// A date from `YYYY-MM-DD`; the tests only write real dates.
    static func day(_ text: String) -> CalendarDay {
        guard let day = CalendarDay(text) else { fatalError("Test fixture \(text) is not a date.") }
        return day
    }

    static func optionalDay(_ text: String?) -> CalendarDay? { text.map(day) }

    static func childInCare(placementStart: String?, untilEighteen: Bool = false) -> YoungPersonFacts {
        YoungPersonFacts(
            id: personID, cohort: .childInCare, placementStart: optionalDay(placementStart),
            placementIntendedUntil18: untilEighteen)
    }

    static func careLeaver(accommodationStart: String?) -> YoungPersonFacts {
        YoungPersonFacts(id: personID, cohort: .careLeaver, accommodationStart: optionalDay(accommodationStart))
    }

    static func pepAgeChild(enteredCare: String?) -> YoungPersonFacts {
        YoungPersonFacts(id: personID, cohort: .childInCare, enteredCare: optionalDay(enteredCare), pepAge: true)
    }

    /// A face-to-face visit in which the child was seen: one that counts once completed.
    static func seen(_ text: String, state: String = "COMPLETED") -> VisitFact {
        VisitFact(day: day(text), contactMode: "FACE_TO_FACE", childSeen: true, state: state)
    }

    static func pep(_ year: String, _ term: String, _ type: String? = "TERMLY_REVIEW", _ state: String) -> PepFact {
        PepFact(academicYear: year, term: term, pepType: type, state: state)
    }

    static func instant(_ text: String) -> Date {
        guard let date = InstantText.date(text) else { fatalError("Test fixture \(text) is not an instant.") }
        return date
    }
}
