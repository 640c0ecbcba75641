import FieldSyncProtocol
import Testing

@Suite("ListMerge: lists merge item by item on the item ids")
struct ListMergeTests {
    typealias F = Fixtures

    func merge(base: JSONValue, mine: JSONValue, current: JSONValue) -> FieldMergeResult {
        ListMerge.merge(field: "actions", schema: F.actions, base: base, mine: mine, current: current)
    }

    let one = F.item(F.id1, ["title": "Book dentist", "status": "open"])
    let two = F.item(F.id2, ["title": "School visit", "status": "open"])

    @Test func addsFromBothSidesSurvive() {
        let base = F.list(one)
        let mine = F.list(one, F.item(F.id3, ["title": "Mine"]))
        let current = F.list(F.item(F.id4, ["title": "Theirs"]), one)
        let result = merge(base: base, mine: mine, current: current)
        #expect(result == .set(F.list(F.item(F.id4, ["title": "Theirs"]), one, F.item(F.id3, ["title": "Mine"])), merged: true))
    }

    @Test func anItemRemovedOnOneSideAndUntouchedOnTheOtherIsRemoved() {
        let base = F.list(one, two)
        #expect(
            merge(base: base, mine: F.list(two), current: F.list(one, two, F.item(F.id3))) == .set(F.list(two, F.item(F.id3)), merged: true)
        )
        #expect(
            merge(base: base, mine: F.list(one, two, F.item(F.id3)), current: F.list(two)) == .set(F.list(two, F.item(F.id3)), merged: true)
        )
    }

    @Test func removedHereEditedThereIsAConflictAndTheItemStays() {
        let base = F.list(one, two)
        let edited = F.item(F.id1, ["title": "Book dentist", "status": "done"])
        let result = merge(base: base, mine: F.list(two), current: F.list(edited, two))
        #expect(
            result
                == .conflicted(
                    value: F.list(edited, two),
                    parts: [ConflictPart(path: "actions[\(F.id1)]", base: one, current: edited, held: nil)]))
    }

    @Test func editedHereRemovedThereIsAConflictAndTheItemStaysRemoved() {
        let base = F.list(one, two)
        let edited = F.item(F.id1, ["title": "Book dentist", "status": "done"])
        let result = merge(base: base, mine: F.list(edited, two), current: F.list(two, F.item(F.id3)))
        #expect(
            result
                == .conflicted(
                    value: F.list(two, F.item(F.id3)),
                    parts: [ConflictPart(path: "actions[\(F.id1)]", base: one, current: nil, held: edited)]))
    }

    @Test func removedOnBothSidesIsRemoved() {
        let base = F.list(one, two)
        #expect(merge(base: base, mine: F.list(two), current: F.list(two, F.item(F.id3))) == .unchanged)
    }

    @Test func concurrentEditsToDifferentMembersOfOneItemMerge() {
        let base = F.list(one, two)
        let mine = F.list(F.item(F.id1, ["title": "Book dentist", "status": "done"]), two)
        let current = F.list(F.item(F.id1, ["title": "Book dentist", "status": "open", "owner": "Carer"]), two)
        #expect(
            merge(base: base, mine: mine, current: current)
                == .set(F.list(F.item(F.id1, ["title": "Book dentist", "status": "done", "owner": "Carer"]), two), merged: true))
    }

    @Test func aMemberClearedOnOneSideMergesWithAnEditToAnother() {
        let base = F.list(F.item(F.id1, ["title": "Book dentist", "status": "open", "owner": "Carer"]))
        let mine = F.list(F.item(F.id1, ["title": "Book dentist", "status": "open", "owner": nil]))
        let current = F.list(F.item(F.id1, ["title": "Book dentist", "status": "done", "owner": "Carer"]))
        #expect(
            merge(base: base, mine: mine, current: current)
                == .set(F.list(F.item(F.id1, ["title": "Book dentist", "status": "done"])), merged: true))
    }

    @Test func theSameMemberSetDifferentlyConflictsAndKeepsCurrent() {
        let base = F.list(one)
        let mine = F.list(F.item(F.id1, ["title": "Book dentist", "status": "done", "due": "2026-12-01"]))
        let current = F.list(F.item(F.id1, ["title": "Book dentist", "status": "dropped"]))
        let result = merge(base: base, mine: mine, current: current)
        #expect(
            result
                == .conflicted(
                    value: F.list(F.item(F.id1, ["title": "Book dentist", "status": "dropped", "due": "2026-12-01"])),
                    parts: [ConflictPart(path: "actions[\(F.id1)].status", base: "open", current: "dropped", held: "done")]))
    }

    @Test func aTextMemberMergesByLine() {
        let base = F.list(F.item(F.id1, ["title": .string(text("Book dentist", "for Sam"))]))
        let mine = F.list(F.item(F.id1, ["title": .string(text("Book dentist (NHS)", "for Sam"))]))
        let current = F.list(F.item(F.id1, ["title": .string(text("Book dentist", "for Sam", "before March")), "status": "done"]))
        #expect(
            merge(base: base, mine: mine, current: current)
                == .set(
                    F.list(F.item(F.id1, ["title": .string(text("Book dentist (NHS)", "for Sam", "before March")), "status": "done"])),
                    merged: true))
    }

    @Test func aTextMemberWithOverlappingEditsConflicts() {
        let base = F.list(F.item(F.id1, ["title": "Book dentist"]))
        let mine = F.list(F.item(F.id1, ["title": "Book the dentist"]))
        let current = F.list(F.item(F.id1, ["title": "Book optician", "status": "done"]))
        #expect(
            merge(base: base, mine: mine, current: current)
                == .conflicted(
                    value: current,
                    parts: [
                        ConflictPart(
                            path: "actions[\(F.id1)].title", base: "Book dentist", current: "Book optician", held: "Book the dentist")
                    ]))
    }

    @Test func anItemEditedOnOneSideOnlyTakesThatEdit() {
        let base = F.list(one, two)
        let mine = F.list(F.item(F.id1, ["title": "Book dentist", "status": "done"]), two)
        let current = F.list(one, F.item(F.id2, ["title": "School visit", "status": "dropped"]))
        #expect(
            merge(base: base, mine: mine, current: current)
                == .set(
                    F.list(
                        F.item(F.id1, ["title": "Book dentist", "status": "done"]),
                        F.item(F.id2, ["title": "School visit", "status": "dropped"])),
                    merged: true))
    }

    @Test func theSameItemAddedOnBothSidesMergesFromAnEmptyBase() {
        let mine = F.list(F.item(F.id3, ["title": "New", "status": "open"]))
        let current = F.list(F.item(F.id3, ["title": "New", "owner": "Carer"]))
        #expect(
            merge(base: [], mine: mine, current: current)
                == .set(F.list(F.item(F.id3, ["title": "New", "status": "open", "owner": "Carer"])), merged: true))
        let clashing = F.list(F.item(F.id3, ["title": "New", "status": "done"]))
        #expect(
            merge(base: nil, mine: clashing, current: F.list(F.item(F.id3, ["title": "New", "status": "open"])))
                == .conflicted(
                    value: F.list(F.item(F.id3, ["title": "New", "status": "open"])),
                    parts: [ConflictPart(path: "actions[\(F.id3)].status", base: nil, current: "open", held: "done")]))
    }

    @Test func idsCompareCaseInsensitively() {
        let base = F.list(one)
        let mine = F.list(F.item(F.id1.lowercased(), ["title": "Book dentist", "status": "done"]))
        let current = F.list(one, two)
        #expect(
            merge(base: base, mine: mine, current: current)
                == .set(F.list(F.item(F.id1.lowercased(), ["title": "Book dentist", "status": "done"]), two), merged: true))
        // Only the spelling of the id changed: that is no edit.
        #expect(
            merge(base: base, mine: F.list(F.item(F.id1.lowercased(), ["title": "Book dentist", "status": "open"])), current: current)
                == .unchanged)
    }

    @Test func nullMembersCountAsAbsent() {
        let base = F.list(one)
        let mine = F.list(F.item(F.id1, ["title": "Book dentist", "status": "open", "owner": nil]))
        #expect(merge(base: base, mine: mine, current: F.list(one, two)) == .unchanged)
    }

    @Test func orderIsCurrentsThenMineOnlyAdds() {
        let base = F.list(one, two)
        let three = F.item(F.id3)
        let four = F.item(F.id4)
        let mine = F.list(four, two, one, three)
        let current = F.list(two, one)
        #expect(merge(base: base, mine: mine, current: current) == .set(F.list(two, one, four, three), merged: true))
    }

    @Test func theFieldRulesHoldForLists() {
        let base = F.list(one)
        let mine = F.list(F.item(F.id3), one)
        #expect(merge(base: base, mine: mine, current: base) == .set(mine, merged: false))
        #expect(merge(base: base, mine: base, current: mine) == .unchanged)
        #expect(merge(base: base, mine: mine, current: mine) == .unchanged)
        #expect(merge(base: nil, mine: mine, current: nil) == .set(mine, merged: false))
    }

    @Test func mergedWhenTheResultEqualsCurrentIsUnchanged() {
        let base = F.list(one, two)
        // Mine removed `two`; current removed it too and edited `one`.
        let edited = F.item(F.id1, ["title": "Book dentist", "status": "done"])
        #expect(merge(base: base, mine: F.list(one), current: F.list(edited)) == .unchanged)
    }

    @Test func clearingTheListRemovesUntouchedItemsAndConflictsOnEditedOnes() {
        let base = F.list(one, two)
        let edited = F.item(F.id2, ["title": "School visit", "status": "done"])
        #expect(
            merge(base: base, mine: nil, current: F.list(one, edited))
                == .conflicted(
                    value: F.list(edited),
                    parts: [ConflictPart(path: "actions[\(F.id2)]", base: two, current: edited, held: nil)]))
    }

    @Test func aValueOfTheWrongShapeConflictsAsAWhole() {
        let base = F.list(one)
        let mine: JSONValue = "not a list"
        let current = F.list(one, two)
        #expect(
            merge(base: base, mine: mine, current: current)
                == .conflicted(value: current, parts: [ConflictPart(path: "actions", base: base, current: current, held: mine)]))
        let duplicated = F.list(one, F.item(F.id1.lowercased()))
        #expect(
            merge(base: base, mine: duplicated, current: current)
                == .conflicted(value: current, parts: [ConflictPart(path: "actions", base: base, current: current, held: duplicated)]))
    }
}
