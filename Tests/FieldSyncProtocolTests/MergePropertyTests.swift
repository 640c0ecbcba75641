import FieldSyncProtocol
import PropertyBased
import Testing

/// Properties of the merge rules over random inputs. A failure prints the input and a
/// `.fixedSeed(...)` trait that reproduces it.
@Suite("Merge properties")
struct MergePropertyTests {
    // MARK: Text

    @Test func textMergeWithAnUnchangedSideGivesTheOtherSide() async {
        await propertyCheck(count: 300, input: TextCase.generator) { c in
            #expect(TextMerge.merge(base: c.base, mine: c.mine, current: c.base) == .clean(c.mine))
            #expect(TextMerge.merge(base: c.base, mine: c.base, current: c.current) == .clean(c.current))
            #expect(TextMerge.merge(base: c.base, mine: c.mine, current: c.mine) == .clean(c.mine))
        }
    }

    @Test func textMergeIsSymmetric() async {
        await propertyCheck(count: 500, input: TextCase.generator) { c in
            #expect(
                TextMerge.merge(base: c.base, mine: c.mine, current: c.current)
                    == TextMerge.merge(base: c.base, mine: c.current, current: c.mine))
        }
    }

    @Test func aCleanTextMergeKeepsEveryAddedLine() async {
        await propertyCheck(count: 500, input: TextCase.generator) { c in
            guard case .clean(let merged) = TextMerge.merge(base: c.base, mine: c.mine, current: c.current) else { return }
            let baseLines = Set(lines(c.base))
            let mergedLines = Set(lines(merged))
            for line in lines(c.mine) + lines(c.current) where !baseLines.contains(line) {
                #expect(mergedLines.contains(line), "lost line \(line.debugDescription)")
            }
        }
    }

    /// Edits on two sides of a line that neither side touches always merge, to both edits.
    @Test func editsSeparatedByAnUntouchedLineAlwaysMerge() async {
        await propertyCheck(count: 500, input: TextCase.separatedGenerator) { c in
            #expect(TextMerge.merge(base: c.base, mine: c.mine, current: c.current) == .clean(c.expected))
            #expect(TextMerge.merge(base: c.base, mine: c.current, current: c.mine) == .clean(c.expected))
        }
    }

    @Test func textFieldMergeConflictsKeepBothTexts() async {
        await propertyCheck(count: 300, input: TextCase.generator) { c in
            let result = FieldMerge.merge(
                field: "notes", kind: .text(maxLength: 100_000), base: .string(c.base), mine: .string(c.mine),
                current: .string(c.current))
            switch result {
            case .unchanged:
                #expect(TextMerge.merge(base: c.base, mine: c.mine, current: c.current) == .clean(c.current))
            case .set(let value, _):
                #expect(TextMerge.merge(base: c.base, mine: c.mine, current: c.current) == .clean(value.stringValue ?? "?"))
            case .conflicted(let value, let parts):
                #expect(value == .string(c.current))
                #expect(parts == [ConflictPart(path: "notes", base: .string(c.base), current: .string(c.current), held: .string(c.mine))])
            }
        }
    }

    // MARK: Lists

    @Test func listMergeWithAnUnchangedSideGivesTheOtherSide() async {
        await propertyCheck(count: 300, input: ListCase.generator) { c in
            let taken = mergeList(base: c.base, mine: c.mine, current: c.base)
            #expect(taken == (c.mine == c.base ? .unchanged : .set(c.mine, merged: false)))
            #expect(mergeList(base: c.base, mine: c.base, current: c.current) == .unchanged)
            #expect(mergeList(base: c.base, mine: c.current, current: c.current) == .unchanged)
        }
    }

    /// Every item of mine or current is in the result unless the other side removed it; an item
    /// one side edited and the other removed is in the result or held in a conflict.
    @Test func listMergeLosesNoItem() async {
        await propertyCheck(count: 500, input: ListCase.generator) { c in
            let result = mergeList(base: c.base, mine: c.mine, current: c.current)
            let merged = Set(Fixtures.ids(Fixtures.resultValue(result, current: c.current)))
            let baseIds = Set(Fixtures.ids(c.base))
            let mineIds = Set(Fixtures.ids(c.mine))
            let currentIds = Set(Fixtures.ids(c.current))
            let heldPaths = Set(Fixtures.parts(result).compactMap { FieldPath($0.path) })
            for id in mineIds.union(currentIds) where !merged.contains(id) {
                let removedByCurrent = baseIds.contains(id) && !currentIds.contains(id)
                let removedByMine = baseIds.contains(id) && !mineIds.contains(id)
                #expect(removedByCurrent || removedByMine, "item \(id) lost")
                if mineIds.contains(id), let path = FieldPath("actions[\(id)]") {
                    let edited = asItem(path.value(in: ["actions": c.mine])) != asItem(path.value(in: ["actions": c.base]))
                    #expect(!edited || heldPaths.contains(path), "the edit to item \(id) is neither kept nor held")
                }
            }
        }
    }

    /// Each conflict part holds mine's value at its path, and current's, which the result keeps.
    @Test func listConflictsKeepBothSides() async {
        await propertyCheck(count: 500, input: ListCase.generator) { c in
            let result = mergeList(base: c.base, mine: c.mine, current: c.current)
            let value = Fixtures.resultValue(result, current: c.current)
            for part in Fixtures.parts(result) {
                guard let path = FieldPath(part.path) else {
                    Issue.record("unreadable path \(part.path)")
                    continue
                }
                #expect(part.held == path.value(in: ["actions": c.mine]))
                #expect(part.current == path.value(in: ["actions": c.current]))
                #expect(part.base == path.value(in: ["actions": c.base]))
                #expect(path.value(in: ["actions": value]) == part.current)
            }
        }
    }

    @Test func listMergeResultsFollowTheirDefinitions() async {
        await propertyCheck(count: 300, input: ListCase.generator) { c in
            switch mergeList(base: c.base, mine: c.mine, current: c.current) {
            case .unchanged, .conflicted:
                break
            case .set(let value, let merged):
                #expect(value != c.current)
                if !merged { #expect(value == c.mine) }
                if value == c.mine && c.current == c.base { #expect(!merged) }
            }
        }
    }

    // MARK: Scalars

    @Test func scalarMergeFollowsTheRules() async {
        let values: [JSONValue] = [nil, 1, 2, "a", "b", true, ["x": 1], ["x": 2], ["a", "b"]]
        let pick = Gen<JSONValue?>.element(of: values).map { $0 ?? .null }
        await propertyCheck(count: 300, input: pick, pick, pick) { base, mine, current in
            let result = FieldMerge.merge(field: "f", kind: .scalar(.boolean), base: base, mine: mine, current: current)
            if mine == current || (mine == base && current != base) {
                #expect(result == .unchanged)
            } else if current == base {
                #expect(result == .set(mine, merged: false))
            } else {
                #expect(result == .conflicted(value: current, parts: [ConflictPart(path: "f", base: base, current: current, held: mine)]))
            }
        }
    }

    func mergeList(base: JSONValue, mine: JSONValue, current: JSONValue) -> FieldMergeResult {
        FieldMerge.merge(field: "actions", kind: Fixtures.actionsKind, base: base, mine: mine, current: current)
    }
}

/// An item as the merge compares it: members set to null dropped, the id lower-cased.
private func asItem(_ value: JSONValue) -> JSONValue {
    guard var item = value.objectValue else { return value }
    item = item.filter { !$0.value.isNull }
    if let id = item["id"]?.stringValue { item["id"] = .string(id.lowercased()) }
    return .object(item)
}

private func lines(_ text: String) -> [Substring] {
    text.split(separator: "\n", omittingEmptySubsequences: false)
}

// MARK: - Generators

/// Three texts: a base and two independent random line edits of it.
struct TextCase: Sendable, CustomTestStringConvertible {
    var base: String
    var mine: String
    var current: String
    /// For ``separatedGenerator``: the only right merge.
    var expected = ""

    var testDescription: String {
        "base: \(base.debugDescription), mine: \(mine.debugDescription), current: \(current.debugDescription)"
    }

    /// A small vocabulary, so that lines repeat and diffs are ambiguous.
    static let vocabulary = ["alpha", "beta", "gamma", "", "alpha beta", "delta"]

    static func randomLines(_ rng: inout some RandomNumberGenerator) -> [String] {
        (0..<Int.random(in: 0...7, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! }
    }

    /// Up to three random insertions, deletions and replacements. New lines come from the
    /// vocabulary or are tagged with the side, so both shared and distinct edits occur.
    static func edit(_ lines: [String], tag: String, _ rng: inout some RandomNumberGenerator) -> [String] {
        var lines = lines
        for n in 0..<Int.random(in: 0...3, using: &rng) {
            let newLine = Bool.random(using: &rng) ? vocabulary.randomElement(using: &rng)! : "\(tag)\(n)"
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                lines.insert(newLine, at: Int.random(in: 0...lines.count, using: &rng))
            case 1 where !lines.isEmpty:
                lines.remove(at: Int.random(in: 0..<lines.count, using: &rng))
            default:
                if lines.isEmpty { lines.append(newLine) } else { lines[Int.random(in: 0..<lines.count, using: &rng)] = newLine }
            }
        }
        return lines
    }

    static let generator = Generator<TextCase, Shrink.None<TextCase>> { rng in
        let base = randomLines(&rng)
        return TextCase(
            base: base.joined(separator: "\n"),
            mine: edit(base, tag: "m", &rng).joined(separator: "\n"),
            current: edit(base, tag: "c", &rng).joined(separator: "\n"))
    }

    /// Mine edits only the lines before a separator line, current only those after it.
    static let separatedGenerator = Generator<TextCase, Shrink.None<TextCase>> { rng in
        let before = randomLines(&rng)
        let after = randomLines(&rng)
        let separator = ["=== separator ==="]
        let mineBefore = edit(before, tag: "m", &rng)
        let currentAfter = edit(after, tag: "c", &rng)
        return TextCase(
            base: (before + separator + after).joined(separator: "\n"),
            mine: (mineBefore + separator + after).joined(separator: "\n"),
            current: (before + separator + currentAfter).joined(separator: "\n"),
            expected: (mineBefore + separator + currentAfter).joined(separator: "\n"))
    }
}

/// Three list values: a base and two independent random edits of it (items removed, added,
/// members changed, ids respelled).
struct ListCase: Sendable, CustomTestStringConvertible {
    var base: JSONValue
    var mine: JSONValue
    var current: JSONValue

    var testDescription: String { "base: \(base), mine: \(mine), current: \(current)" }

    static let ids = [Fixtures.id1, Fixtures.id2, Fixtures.id3, Fixtures.id4, "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"]
    static let statuses: [JSONValue] = ["open", "done", "dropped"]

    static func randomItem(id: String, _ rng: inout some RandomNumberGenerator) -> [String: JSONValue] {
        var item: [String: JSONValue] = ["id": .string(id), "status": statuses.randomElement(using: &rng)!]
        item["title"] = .string(TextCase.randomLines(&rng).joined(separator: "\n"))
        if Bool.random(using: &rng) { item["owner"] = Bool.random(using: &rng) ? "Carer" : "Worker" }
        return item
    }

    static func edit(_ items: [[String: JSONValue]], tag: String, _ rng: inout some RandomNumberGenerator) -> [[String: JSONValue]] {
        var items = items
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !items.isEmpty:
                items.remove(at: Int.random(in: 0..<items.count, using: &rng))
            case 1:
                let used = Set(items.compactMap { $0["id"]?.stringValue?.lowercased() })
                guard let id = ids.filter({ !used.contains($0.lowercased()) }).randomElement(using: &rng) else { continue }
                let spelled = Bool.random(using: &rng) ? id : id.lowercased()
                items.insert(randomItem(id: spelled, &rng), at: Int.random(in: 0...items.count, using: &rng))
            case 2 where !items.isEmpty:
                items[Int.random(in: 0..<items.count, using: &rng)]["status"] = statuses.randomElement(using: &rng)!
            case 3 where !items.isEmpty:
                let i = Int.random(in: 0..<items.count, using: &rng)
                let title = items[i]["title"]?.stringValue ?? ""
                let lines = title.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                items[i]["title"] = .string(TextCase.edit(lines, tag: tag, &rng).joined(separator: "\n"))
            case 4 where !items.isEmpty:
                let i = Int.random(in: 0..<items.count, using: &rng)
                items[i]["owner"] = Bool.random(using: &rng) ? nil : .string(tag)
            case 5 where !items.isEmpty:
                let i = Int.random(in: 0..<items.count, using: &rng)
                if let id = items[i]["id"]?.stringValue { items[i]["id"] = .string(id.lowercased()) }
            default:
                break
            }
        }
        return items
    }

    static let generator = Generator<ListCase, Shrink.None<ListCase>> { rng in
        var base: [[String: JSONValue]] = []
        for id in ids.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng)) {
            base.append(randomItem(id: id, &rng))
        }
        func value(_ items: [[String: JSONValue]]) -> JSONValue { .array(items.map(JSONValue.object)) }
        return ListCase(
            base: value(base), mine: value(edit(base, tag: "m", &rng)), current: value(edit(base, tag: "c", &rng)))
    }
}
