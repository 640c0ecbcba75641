import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

/// One visit record to create: its ids and fields, as a device would send them.
struct VisitDraft: Sendable {
    let id: UUID
    let youngPerson: UUID
    let fields: [String: JSONValue]

    var operation: ChangeOperation {
        .create(id, kind: .visit, youngPerson: youngPerson, fields: fields)
    }
}

/// Makes visit-record shaped data from a seed: the same seed always gives the same records.
///
/// A record carries kind, contact mode, location type, visit times, the next visit due and three
/// free texts (child's views, observations, analysis) of 300 to 500 characters each, so its
/// compact JSON is about 1.5 KB.
struct VisitGenerator {
    private var rng: SeededRandom
    /// The young people this device's worker visits (allocated to the worker where the server
    /// has allocations).
    let caseload: [UUID]

    static let textLength = 300...500
    /// Visits fall in the 90 days from 2026-09-01.
    static let firstVisitDay = CivilDate.days(year: 2026, month: 9, day: 1)

    init(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        caseload = (0..<12).map { _ in rng.uuid() }
        self.rng = rng
    }

    mutating func nextVisit() -> VisitDraft {
        let id = rng.uuid()
        let youngPerson = caseload[rng.below(caseload.count)]
        let day = Self.firstVisitDay + rng.below(90)
        let date = CivilDate(daysSinceEpoch: day)
        let start = rng.within(9 * 4...16 * 4) * 15
        let end = start + rng.within(6...24) * 5
        let fields: [String: JSONValue] = [
            "kind": "CLA_STATUTORY",
            "contactMode": "FACE_TO_FACE",
            "locationType": "FOSTER_HOME",
            "actualStart": .string(date.instant(minuteOfDay: start)),
            "actualEnd": .string(date.instant(minuteOfDay: end)),
            "nextVisitDue": .string(CivilDate(daysSinceEpoch: day + 42).text),
            "childViews": .string(nextText()),
            "observations": .string(nextText()),
            "analysis": .string(nextText()),
        ]
        return VisitDraft(id: id, youngPerson: youngPerson, fields: fields)
    }

    mutating func nextVisits(_ count: Int) -> [VisitDraft] {
        (0..<count).map { _ in nextVisit() }
    }

    mutating func nextUUID() -> UUID { rng.uuid() }

    /// One line of sentences from the word list, 300 to 500 characters long.
    mutating func nextText() -> String {
        // The last word and full stop add at most 16 characters past the target.
        let target = rng.within(Self.textLength.lowerBound...(Self.textLength.upperBound - 20))
        var text = ""
        var wordsLeftInSentence = 0
        for _ in 0..<1_000 where text.utf8.count < target {
            var word = WordList.words[rng.below(WordList.words.count)]
            if wordsLeftInSentence == 0 {
                if !text.isEmpty { text += ". " }
                word = word.prefix(1).uppercased() + word.dropFirst()
                wordsLeftInSentence = rng.within(6...14)
            } else {
                text += " "
            }
            text += word
            wordsLeftInSentence -= 1
        }
        return text + "."
    }
}
