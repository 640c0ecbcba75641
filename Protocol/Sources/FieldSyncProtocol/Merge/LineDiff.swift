/// A minimal line diff (Myers' O(ND) algorithm in its linear-space, divide-and-conquer form),
/// used by ``TextMerge``.
///
/// Lines are compared as integers (see ``TextMerge``, which interns each distinct line once), so
/// the diff never hashes or compares strings in its inner loop. Memory is O(N + M); time is
/// O((N + M) · D) where D is the number of lines that differ, which keeps texts of a few thousand
/// lines (the 100,000-character fields) well under a second.
///
/// For pathological inputs (very long texts that differ almost everywhere) the search has a
/// budget: once spent, each remaining unresolved stretch is reported as one replacement. The diff
/// stays correct (applying it gives the other text), just coarser, which can only turn a clean
/// merge into a conflict, never lose or invent a line. The budget depends only on the inputs, so
/// the same two texts always give the same hunks.
enum LineDiff {
    /// One change: the `base` lines are replaced by the `other` lines. An empty `base` range is a
    /// pure insertion before base line `base.lowerBound`; an empty `other` range is a deletion.
    struct Hunk: Sendable, Hashable {
        var base: Range<Int>
        var other: Range<Int>
    }

    /// Snake and diagonal steps allowed in one diff before the rest is reported coarsely.
    static let defaultBudget = 10_000_000

    /// The changes that turn `base` into `other`, in base order. Consecutive hunks are always
    /// separated by at least one unchanged base line (`hunks[i].base.upperBound <
    /// hunks[i + 1].base.lowerBound`).
    static func hunks(from base: [Int], to other: [Int], budget: Int = defaultBudget) -> [Hunk] {
        search(from: base, to: other, budget: budget).hunks
    }

    /// The hunks, with the steps the search spent and whether it ran out of `budget` (the hunks
    /// are then coarse in places, though still correct).
    static func search(from base: [Int], to other: [Int], budget: Int) -> (hunks: [Hunk], spent: Int, exhausted: Bool) {
        var search = MyersSearch(a: base, b: other, budget: budget)
        search.compare(0, base.count, 0, other.count)
        // Trimming common ends and marking changes cost a step a line too.
        let spent = budget - search.budget + base.count + other.count
        return (search.collectHunks(), spent, search.budget <= 0)
    }
}

/// The search state: the two sequences and, for each element, whether it is part of a change.
private struct MyersSearch {
    let a: [Int]
    let b: [Int]
    var changedA: [Bool]
    var changedB: [Bool]
    var budget: Int

    init(a: [Int], b: [Int], budget: Int) {
        self.a = a
        self.b = b
        self.changedA = Array(repeating: false, count: a.count)
        self.changedB = Array(repeating: false, count: b.count)
        self.budget = budget
    }

    /// Marks the changed elements of `a[aLo..<aHi]` against `b[bLo..<bHi]`.
    mutating func compare(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) {
        var aLo = aLo
        var aHi = aHi
        var bLo = bLo
        var bHi = bHi
        while aLo < aHi, bLo < bHi, a[aLo] == b[bLo] {
            aLo += 1
            bLo += 1
        }
        while aLo < aHi, bLo < bHi, a[aHi - 1] == b[bHi - 1] {
            aHi -= 1
            bHi -= 1
        }
        if aLo == aHi || bLo == bHi || budget <= 0 {
            markChanged(aLo, aHi, bLo, bHi)
            return
        }
        guard let (x, y) = middle(aLo, aHi, bLo, bHi),
            (x, y) != (aLo, bLo), (x, y) != (aHi, bHi)
        else {
            markChanged(aLo, aHi, bLo, bHi)
            return
        }
        compare(aLo, x, bLo, y)
        compare(x, aHi, y, bHi)
    }

    mutating func markChanged(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) {
        for i in aLo..<aHi { changedA[i] = true }
        for j in bLo..<bHi { changedB[j] = true }
    }

    /// A point `(x, y)` on a shortest edit path from `(aLo, bLo)` to `(aHi, bHi)` that splits it
    /// into two shorter problems, found by running the search from both ends until the paths
    /// meet (Myers 1986, section 4b). The first and last elements must differ (the caller trims
    /// common ends). Nil when the budget runs out.
    mutating func middle(_ aLo: Int, _ aHi: Int, _ bLo: Int, _ bHi: Int) -> (Int, Int)? {
        let n = aHi - aLo
        let m = bHi - bLo
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let length = 2 * maxD + 2
        // v1[offset + k]: furthest x reached forward on diagonal k (x - y == k).
        // v2[offset + k]: furthest distance reached backward from the end on diagonal k.
        var v1 = [Int](repeating: -1, count: length)
        var v2 = [Int](repeating: -1, count: length)
        v1[offset + 1] = 0
        v2[offset + 1] = 0
        let delta = n - m
        // When delta is odd the paths meet in a forward step, else in a backward step.
        let meetsForward = delta % 2 != 0
        var k1Start = 0
        var k1End = 0
        var k2Start = 0
        var k2End = 0

        for d in 0..<maxD {
            budget -= 2 * d + 2
            if budget <= 0 { return nil }

            var k1 = -d + k1Start
            while k1 <= d - k1End {
                let i = offset + k1
                var x1 = (k1 == -d || (k1 != d && v1[i - 1] < v1[i + 1])) ? v1[i + 1] : v1[i - 1] + 1
                var y1 = x1 - k1
                let snakeStart = x1
                while x1 < n, y1 < m, a[aLo + x1] == b[bLo + y1] {
                    x1 += 1
                    y1 += 1
                }
                budget -= x1 - snakeStart
                v1[i] = x1
                if x1 > n {
                    k1End += 2  // ran off the right edge
                } else if y1 > m {
                    k1Start += 2  // ran off the bottom edge
                } else if meetsForward {
                    let j = offset + delta - k1
                    if j >= 0, j < length, v2[j] != -1, x1 >= n - v2[j] {
                        return (aLo + x1, bLo + y1)
                    }
                }
                k1 += 2
            }

            var k2 = -d + k2Start
            while k2 <= d - k2End {
                let i = offset + k2
                var x2 = (k2 == -d || (k2 != d && v2[i - 1] < v2[i + 1])) ? v2[i + 1] : v2[i - 1] + 1
                var y2 = x2 - k2
                let snakeStart = x2
                while x2 < n, y2 < m, a[aHi - 1 - x2] == b[bHi - 1 - y2] {
                    x2 += 1
                    y2 += 1
                }
                budget -= x2 - snakeStart
                v2[i] = x2
                if x2 > n {
                    k2End += 2
                } else if y2 > m {
                    k2Start += 2
                } else if !meetsForward {
                    let j = offset + delta - k2
                    if j >= 0, j < length, v1[j] != -1 {
                        let x1 = v1[j]
                        let y1 = offset + x1 - j
                        if x1 >= n - x2 {
                            return (aLo + x1, bLo + y1)
                        }
                    }
                }
                k2 += 2
            }
        }
        return nil
    }

    /// Turns the change marks into hunks. Unchanged elements of `a` and `b` correspond one to one,
    /// in order, so a walk over both finds each run of changes.
    func collectHunks() -> [LineDiff.Hunk] {
        var hunks: [LineDiff.Hunk] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, !changedA[i], !changedB[j] {
                i += 1
                j += 1
                continue
            }
            let startA = i
            let startB = j
            while i < a.count, changedA[i] { i += 1 }
            while j < b.count, changedB[j] { j += 1 }
            precondition(i > startA || j > startB, "LineDiff: unchanged lines out of step")
            hunks.append(LineDiff.Hunk(base: startA..<i, other: startB..<j))
        }
        return hunks
    }
}
