import FieldSyncProtocol
import Testing

@Suite("TextMerge: three-way merge of free text by line")
struct TextMergeTests {
    let base = text(
        "Sam was at home when I arrived.", "",
        "We talked about school; Sam likes maths.", "",
        "Sam's room was tidy.")

    @Test func editsToDifferentParagraphsMerge() {
        let mine = text(
            "Sam was at home with his carer when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's room was tidy.")
        let current = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's room was tidy and he showed me his drawings.")
        let expected = text(
            "Sam was at home with his carer when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's room was tidy and he showed me his drawings.")
        #expect(TextMerge.merge(base: base, mine: mine, current: current) == .clean(expected))
        #expect(TextMerge.merge(base: base, mine: current, current: mine) == .clean(expected))
    }

    @Test func differentEditsToTheSameParagraphConflict() {
        let mine = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam likes maths and art.", "",
            "Sam's room was tidy.")
        let current = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam finds maths hard.", "",
            "Sam's room was tidy.")
        #expect(TextMerge.merge(base: base, mine: mine, current: current) == .conflict)
    }

    @Test func theSameChangeOnBothSidesCountsOnce() {
        let fixed = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's bedroom was tidy.")
        #expect(TextMerge.merge(base: base, mine: fixed, current: fixed) == .clean(fixed))

        // The same fix on both sides, plus a different paragraph on one side.
        let current = text(
            "Sam was at home when I arrived (10:00).", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's bedroom was tidy.")
        #expect(TextMerge.merge(base: base, mine: fixed, current: current) == .clean(current))
    }

    @Test func insertAtTheStartMergesWithAnEditAtTheEnd() {
        let mine = text("Visit arranged by phone.", "", base)
        let current = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's room was untidy.")
        let expected = text("Visit arranged by phone.", "", current)
        #expect(TextMerge.merge(base: base, mine: mine, current: current) == .clean(expected))
        #expect(TextMerge.merge(base: base, mine: current, current: mine) == .clean(expected))
    }

    @Test func insertAtTheEndMergesWithAnEditOfTheLastParagraph() {
        let mine = text(base, "", "Next visit in six weeks.")
        let current = text(
            "Sam was at home when I arrived.", "",
            "We talked about school; Sam likes maths.", "",
            "Sam's room was tidy and warm.")
        let expected = text(current, "", "Next visit in six weeks.")
        #expect(TextMerge.merge(base: base, mine: mine, current: current) == .clean(expected))
        #expect(TextMerge.merge(base: base, mine: current, current: mine) == .clean(expected))
    }

    @Test func differentInsertionsAtTheSamePlaceConflict() {
        #expect(TextMerge.merge(base: base, mine: text("Mine first.", base), current: text("Theirs first.", base)) == .conflict)
        #expect(TextMerge.merge(base: base, mine: text(base, "", "Mine."), current: text(base, "", "Theirs.")) == .conflict)
    }

    @Test func identicalInsertionsAtTheSamePlaceCountOnce() {
        let appended = text(base, "", "Next visit in six weeks.")
        let current = text("Visit arranged by phone.", appended)
        #expect(TextMerge.merge(base: base, mine: appended, current: current) == .clean(current))
    }

    @Test func deleteAgainstEditOfTheSameLineConflicts() {
        let base = text("one", "two", "three")
        #expect(TextMerge.merge(base: base, mine: text("one", "three"), current: text("one", "TWO", "three")) == .conflict)
        #expect(TextMerge.merge(base: base, mine: text("one", "TWO", "three"), current: text("one", "three")) == .conflict)
    }

    @Test func deletingTheSameLineOnBothSidesIsClean() {
        let base = text("one", "two", "three", "four")
        #expect(
            TextMerge.merge(base: base, mine: text("one", "three", "four"), current: text("one", "three", "FOUR"))
                == .clean(text("one", "three", "FOUR")))
    }

    @Test func editsToAdjacentLinesMerge() {
        let base = text("one", "two", "three", "four")
        #expect(
            TextMerge.merge(base: base, mine: text("one", "TWO", "three", "four"), current: text("one", "two", "THREE", "four"))
                == .clean(text("one", "TWO", "THREE", "four")))
        // A deletion next to an edit.
        #expect(
            TextMerge.merge(base: base, mine: text("one", "three", "four"), current: text("one", "two", "THREE", "four"))
                == .clean(text("one", "THREE", "four")))
    }

    @Test func anInsertionAtTheEdgeOfAChangedRangeMerges() {
        let base = text("a", "b", "c")
        // Before the other side's edited line: the insertion comes first.
        #expect(
            TextMerge.merge(base: base, mine: text("a", "new", "b", "c"), current: text("a", "B", "c"))
                == .clean(text("a", "new", "B", "c")))
        #expect(
            TextMerge.merge(base: base, mine: text("a", "B", "c"), current: text("a", "new", "b", "c"))
                == .clean(text("a", "new", "B", "c")))
        // After it: the insertion comes after.
        #expect(
            TextMerge.merge(base: base, mine: text("a", "b", "new", "c"), current: text("a", "B", "c"))
                == .clean(text("a", "B", "new", "c")))
    }

    @Test func anInsertionInsideARangeTheOtherSideChangedConflicts() {
        let base = text("a", "b", "c", "d")
        #expect(TextMerge.merge(base: base, mine: text("a", "X", "d"), current: text("a", "b", "new", "c", "d")) == .conflict)
    }

    @Test func overlappingChangesConflictEvenWhenOneContainsTheOther() {
        let base = text("a", "b", "c")
        #expect(TextMerge.merge(base: base, mine: text("A", "b", "c"), current: text("A", "B", "c")) == .conflict)
    }

    @Test func trailingNewlinesAreKeptExactly() {
        #expect(TextMerge.merge(base: "a\nb\n", mine: "A\nb\n", current: "a\nb") == .clean("A\nb"))
        #expect(TextMerge.merge(base: "a\nb", mine: "A\nb", current: "a\nb\n") == .clean("A\nb\n"))
        #expect(TextMerge.merge(base: "a\nb\n", mine: "A\nb\n", current: "a\nB\n") == .clean("A\nB\n"))
        #expect(TextMerge.merge(base: "a\n\n", mine: "A\n\n", current: "a\n\nz") == .clean("A\n\nz"))
    }

    @Test func windowsLineEndingsSplitIntoLines() {
        #expect(
            TextMerge.merge(base: "a\r\nb\r\nc\r\n", mine: "A\r\nb\r\nc\r\n", current: "a\r\nb\r\nC\r\n")
                == .clean("A\r\nb\r\nC\r\n"))
    }

    @Test func emptyTexts() {
        #expect(TextMerge.merge(base: "", mine: "x", current: "") == .clean("x"))
        #expect(TextMerge.merge(base: "", mine: "x", current: "y") == .conflict)
        #expect(TextMerge.merge(base: "a\nb", mine: "b", current: "a") == .clean(""))
    }

    @Test func cleanMergesAreSymmetric() {
        let base = text("1", "2", "3", "4", "5", "6")
        let mine = text("0", "1", "2x", "3", "5", "6")
        let current = text("1", "2", "3", "4", "5y", "6", "7")
        let forward = TextMerge.merge(base: base, mine: mine, current: current)
        #expect(forward == .clean(text("0", "1", "2x", "3", "5y", "6", "7")))
        #expect(TextMerge.merge(base: base, mine: current, current: mine) == forward)
    }

    /// About 3,000 lines and 100,000 characters: the largest free-text field.
    @Test func largeTextsMergeQuickly() {
        let lines = (0..<3_000).map { "Line \($0): " + String(repeating: "note ", count: 4 + $0 % 5) }
        let base = lines.joined(separator: "\n")
        #expect(base.count > 90_000)
        var mine = lines
        var current = lines
        var expected = lines
        for i in stride(from: 0, to: lines.count, by: 10) {
            mine[i] += " (mine)"
            current[i + 5] += " (theirs)"
            expected[i] += " (mine)"
            expected[i + 5] += " (theirs)"
        }
        let clock = ContinuousClock()
        var result: TextMergeResult = .conflict
        let elapsed = clock.measure {
            result = TextMerge.merge(
                base: base, mine: mine.joined(separator: "\n"), current: current.joined(separator: "\n"))
        }
        #expect(result == .clean(expected.joined(separator: "\n")))
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }

    @Test func entirelyRewrittenLargeTextsConflictQuickly() {
        let base = (0..<3_000).map { "base line \($0)" }.joined(separator: "\n")
        let mine = (0..<3_000).map { "mine line \($0)" }.joined(separator: "\n")
        let current = (0..<3_000).map { $0 % 2 == 0 ? "base line \($0)" : "current line \($0)" }.joined(separator: "\n")
        let clock = ContinuousClock()
        var result: TextMergeResult = .clean("")
        let elapsed = clock.measure { result = TextMerge.merge(base: base, mine: mine, current: current) }
        #expect(result == .conflict)
        #expect(elapsed < .seconds(5), "took \(elapsed)")
    }
}
