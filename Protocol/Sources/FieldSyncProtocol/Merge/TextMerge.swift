/// Three-way merging of free text by line (contract 4.3), in the manner of diff3.
///
/// A text is its lines joined by `"\n"`: it is split on every `"\n"`, keeping empty lines, so
/// `"a\nb"` is `a`, `b` and `"a\nb\n"` is `a`, `b`, `` (an empty last line). Joining the lines
/// again gives back the text exactly, trailing newline or not, and `"\r"` stays part of its line.
/// A paragraph is a run of lines; the blank line between two paragraphs is a line like any other.
///
/// Each side is diffed against `base` (Myers' minimal line diff, see ``LineDiff``), giving a list
/// of hunks: a base line range `[start, end)` replaced by new lines (an empty range is an
/// insertion before base line `start`). The two hunk lists are then walked together:
///
/// Merges cleanly:
/// - changes on one side only;
/// - changes on the two sides to base lines that do not overlap, also when they are adjacent
///   (one side edits line 3, the other line 4; one side deletes line 3, the other edits line 4);
/// - an insertion on one side at the edge of a range the other side changed: an insertion just
///   before the range comes before the other side's new lines, one just after it comes after;
/// - the same change made on both sides (same base range, same new lines): taken once.
///
/// Conflicts (the whole merge gives ``TextMergeResult/conflict``):
/// - changes to overlapping base ranges that are not the same change: both sides edit one line
///   differently, one side deletes a line the other edits, one side's change covers part of the
///   other's;
/// - two different insertions at the same place (also both sides appending different text at the
///   end), since their order cannot be decided;
/// - an insertion strictly inside a range of base lines that the other side changed or deleted.
///
/// Clean merges are symmetric: swapping `mine` and `current` gives the same result. Every line a
/// side added appears in a clean result, and `merge(base, mine, base)` is exactly `mine`.
public enum TextMerge {
    ///
    /// With a `budget` (shared by the merges of one change set), the merge charges what it reads and
    /// what its diffs search; when the budget is or becomes spent, the result is a conflict (both
    /// texts kept whole by the caller) rather than a merge. Without one, each diff has its own
    /// bound (``LineDiff/defaultBudget``) past which it is reported coarsely.
    public static func merge(base: String, mine: String, current: String, budget: MergeBudget? = nil) -> TextMergeResult {
        if mine == current || base == current { return .clean(mine) }
        if base == mine { return .clean(current) }
        if let budget {
            budget.charge((base.utf8.count + mine.utf8.count + current.utf8.count) / 16 + 1)
            if budget.isSpent { return .conflict }
        }

        var interner = LineInterner()
        let baseLines = interner.lines(of: base)
        let mineLines = interner.lines(of: mine)
        let currentLines = interner.lines(of: current)

        let mineHunks: [LineDiff.Hunk]
        let currentHunks: [LineDiff.Hunk]
        if let budget {
            let toMine = LineDiff.search(from: baseLines.ids, to: mineLines.ids, budget: budget.remaining)
            budget.charge(toMine.spent)
            if toMine.exhausted { return .conflict }
            let toCurrent = LineDiff.search(from: baseLines.ids, to: currentLines.ids, budget: budget.remaining)
            budget.charge(toCurrent.spent)
            if toCurrent.exhausted { return .conflict }
            (mineHunks, currentHunks) = (toMine.hunks, toCurrent.hunks)
        } else {
            mineHunks = LineDiff.hunks(from: baseLines.ids, to: mineLines.ids)
            currentHunks = LineDiff.hunks(from: baseLines.ids, to: currentLines.ids)
        }

        guard
            let merged = combine(
                base: baseLines, mine: (mineLines, mineHunks), current: (currentLines, currentHunks))
        else { return .conflict }
        return .clean(merged.joined(separator: "\n"))
    }

    /// Applies both sides' hunks to `base`, or nil when two of them collide.
    private static func combine(
        base: InternedLines, mine: (lines: InternedLines, hunks: [LineDiff.Hunk]),
        current: (lines: InternedLines, hunks: [LineDiff.Hunk])
    ) -> [Substring]? {
        var out: [Substring] = []
        out.reserveCapacity(max(mine.lines.text.count, current.lines.text.count))
        var copied = 0  // base lines before this index are already handled
        var i = 0
        var j = 0

        /// False (never expected: hunks are applied in base order) when the hunk starts before
        /// lines already handled; the merge then reports a conflict rather than guess.
        func apply(_ hunk: LineDiff.Hunk, from side: InternedLines) -> Bool {
            guard copied <= hunk.base.lowerBound else { return false }
            out.append(contentsOf: base.text[copied..<hunk.base.lowerBound])
            out.append(contentsOf: side.text[hunk.other])
            copied = hunk.base.upperBound
            return true
        }

        while i < mine.hunks.count || j < current.hunks.count {
            let applied: Bool
            if i == mine.hunks.count {
                applied = apply(current.hunks[j], from: current.lines)
                j += 1
            } else if j == current.hunks.count {
                applied = apply(mine.hunks[i], from: mine.lines)
                i += 1
            } else {
                let m = mine.hunks[i]
                let c = current.hunks[j]
                if m.base == c.base, mine.lines.ids[m.other] == current.lines.ids[c.other] {
                    applied = apply(m, from: mine.lines)  // the same change on both sides counts once
                    i += 1
                    j += 1
                } else if collide(m, c) {
                    return nil
                } else if comesFirst(m, before: c) {
                    applied = apply(m, from: mine.lines)
                    i += 1
                } else {
                    applied = apply(c, from: current.lines)
                    j += 1
                }
            }
            if !applied { return nil }
        }
        out.append(contentsOf: base.text[copied...])
        return out
    }

    /// Whether two hunks from different sides cannot both be applied. Hunks that merely touch
    /// (one ends where the other starts) do not collide.
    private static func collide(_ x: LineDiff.Hunk, _ y: LineDiff.Hunk) -> Bool {
        switch (x.base.isEmpty, y.base.isEmpty) {
        case (true, true):
            return x.base.lowerBound == y.base.lowerBound
        case (true, false):
            return y.base.lowerBound < x.base.lowerBound && x.base.lowerBound < y.base.upperBound
        case (false, true):
            return x.base.lowerBound < y.base.lowerBound && y.base.lowerBound < x.base.upperBound
        case (false, false):
            return x.base.overlaps(y.base)
        }
    }

    /// Order of two non-colliding hunks: by base position, an insertion before a change that
    /// starts at the same line.
    private static func comesFirst(_ x: LineDiff.Hunk, before y: LineDiff.Hunk) -> Bool {
        if x.base.lowerBound != y.base.lowerBound { return x.base.lowerBound < y.base.lowerBound }
        return x.base.isEmpty
    }
}

/// What merging three texts gives.
public enum TextMergeResult: Sendable, Hashable {
    /// The edits combine; this is the merged text.
    case clean(String)
    /// The edits overlap; the caller keeps both texts in full (see ``FieldMerge``).
    case conflict
}

/// A text's lines, and for each line a small integer that is equal for equal lines (shared by the
/// three texts of one merge), so the diff compares integers.
private struct InternedLines {
    var text: [Substring]
    var ids: [Int]
}

private struct LineInterner {
    private var table: [Substring: Int] = [:]

    mutating func lines(of text: String) -> InternedLines {
        // Split on Unicode scalars, not Characters: "\r\n" is one Character and would not split.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(Substring.init)
        var ids: [Int] = []
        ids.reserveCapacity(lines.count)
        for line in lines {
            if let id = table[line] {
                ids.append(id)
            } else {
                let id = table.count
                table[line] = id
                ids.append(id)
            }
        }
        return InternedLines(text: lines, ids: ids)
    }
}
