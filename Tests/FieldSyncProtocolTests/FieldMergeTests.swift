import FieldSyncProtocol
import Testing

@Suite("FieldMerge: the merge rules of contract section 4")
struct FieldMergeTests {
    let date = FieldKind.scalar(.date)
    let notes = FieldKind.text(maxLength: 100_000)

    @Test func whenNobodyElseChangedTheFieldMineIsTaken() {
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: "2026-11-02", current: "2026-11-01")
                == .set("2026-11-02", merged: false))
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: nil, mine: "2026-11-02", current: nil)
                == .set("2026-11-02", merged: false))
        // Clearing a field is a change like any other.
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: nil, current: "2026-11-01")
                == .set(nil, merged: false))
    }

    @Test func bothSidesSettingTheSameValueIsNoConflict() {
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: "2026-11-05", current: "2026-11-05")
                == .unchanged)
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: "2026-11-01", current: "2026-11-01")
                == .unchanged)
    }

    @Test func whenThisSideDidNotChangeTheFieldCurrentStays() {
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: "2026-11-01", current: "2026-11-09")
                == .unchanged)
        #expect(FieldMerge.merge(field: "meetingDate", kind: date, base: nil, mine: nil, current: "2026-11-09") == .unchanged)
    }

    @Test func aScalarChangedDifferentlyOnBothSidesConflicts() {
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: "2026-11-02", current: "2026-11-03")
                == .conflicted(
                    value: "2026-11-03",
                    parts: [ConflictPart(path: "meetingDate", base: "2026-11-01", current: "2026-11-03", held: "2026-11-02")]))
        // Set from unset on both sides, and cleared on one side while changed on the other.
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: nil, mine: "2026-11-02", current: "2026-11-03")
                == .conflicted(
                    value: "2026-11-03", parts: [ConflictPart(path: "meetingDate", base: nil, current: "2026-11-03", held: "2026-11-02")]))
        #expect(
            FieldMerge.merge(field: "meetingDate", kind: date, base: "2026-11-01", mine: nil, current: "2026-11-03")
                == .conflicted(
                    value: "2026-11-03", parts: [ConflictPart(path: "meetingDate", base: "2026-11-01", current: "2026-11-03", held: nil)]))
    }

    @Test func objectAndStringListScalarsConflictAsAWhole() {
        let address = FieldKind.scalar(.object(["street": .string(maxLength: 100), "town": .string(maxLength: 100)]))
        let base: JSONValue = ["street": "1 High St", "town": "Leeds"]
        let mine: JSONValue = ["street": "2 High St", "town": "Leeds"]
        let current: JSONValue = ["street": "1 High St", "town": "York"]
        #expect(
            FieldMerge.merge(field: "address", kind: address, base: base, mine: mine, current: current)
                == .conflicted(value: current, parts: [ConflictPart(path: "address", base: base, current: current, held: mine)]))

        let refs = FieldKind.scalar(.stringList(maxCount: 10, maxLength: 20))
        #expect(
            FieldMerge.merge(field: "planRefs", kind: refs, base: ["a"], mine: ["a", "b"], current: ["a", "c"])
                == .conflicted(
                    value: ["a", "c"], parts: [ConflictPart(path: "planRefs", base: ["a"], current: ["a", "c"], held: ["a", "b"])]))
    }

    @Test func textEditsToDifferentLinesMerge() {
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: "a\n\nb", mine: "A\n\nb", current: "a\n\nB")
                == .set("A\n\nB", merged: true))
    }

    @Test func overlappingTextEditsConflictKeepingBothTextsInFull() {
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: "a\n\nb", mine: "a!\n\nb", current: "a?\n\nb")
                == .conflicted(
                    value: "a?\n\nb", parts: [ConflictPart(path: "observations", base: "a\n\nb", current: "a?\n\nb", held: "a!\n\nb")]))
    }

    @Test func textWrittenIntoAnUnsetFieldOnBothSidesMergesFromEmpty() {
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: nil, mine: "mine", current: "theirs")
                == .conflicted(value: "theirs", parts: [ConflictPart(path: "observations", base: nil, current: "theirs", held: "mine")]))
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: nil, mine: "same\nmine", current: "same\ntheirs")
                == .conflicted(
                    value: "same\ntheirs",
                    parts: [ConflictPart(path: "observations", base: nil, current: "same\ntheirs", held: "same\nmine")]))
    }

    @Test func clearingTextThatTheOtherSideEditedConflicts() {
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: "a\nb", mine: nil, current: "a\nb\nc")
                == .conflicted(value: "a\nb\nc", parts: [ConflictPart(path: "observations", base: "a\nb", current: "a\nb\nc", held: nil)]))
        #expect(
            FieldMerge.merge(field: "observations", kind: notes, base: "a\nb", mine: "a\nb\nc", current: nil)
                == .conflicted(value: nil, parts: [ConflictPart(path: "observations", base: "a\nb", current: nil, held: "a\nb\nc")]))
    }

    @Test func aTextMergeThatGivesCurrentIsUnchanged() {
        // Both deleted line b; current also appended d.
        #expect(FieldMerge.merge(field: "observations", kind: notes, base: "a\nb\nc", mine: "a\nc", current: "a\nc\nd") == .unchanged)
    }

    @Test func listsMergeItemByItem() {
        let base = Fixtures.list(Fixtures.item(Fixtures.id1))
        let mine = Fixtures.list(Fixtures.item(Fixtures.id1), Fixtures.item(Fixtures.id2))
        let current = Fixtures.list(Fixtures.item(Fixtures.id1), Fixtures.item(Fixtures.id3))
        #expect(
            FieldMerge.merge(field: "actions", kind: Fixtures.actionsKind, base: base, mine: mine, current: current)
                == .set(Fixtures.list(Fixtures.item(Fixtures.id1), Fixtures.item(Fixtures.id3), Fixtures.item(Fixtures.id2)), merged: true))
    }
}
