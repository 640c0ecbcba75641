extension FieldMerge {
    /// The rules of ``FieldMerge`` (see its doc comment). `null` is an unset field.
    static func mergeByRules(
        field: String, kind: FieldKind, base: JSONValue, mine: JSONValue, current: JSONValue, budget: MergeBudget? = nil
    ) -> FieldMergeResult {
        if let settled = settledWithoutMerging(base: base, mine: mine, current: current) { return settled }
        switch kind {
        case .scalar:
            return conflict(field: field, base: base, mine: mine, current: current)
        case .text:
            return mergeText(field: field, base: base, mine: mine, current: current, budget: budget)
        case .list(let schema):
            return ListMerge.merge(field: field, schema: schema, base: base, mine: mine, current: current, budget: budget)
        }
    }

    /// The rules for a value that can only be replaced as a whole (a scalar, including
    /// `.object` and `.stringList` scalars, or any value of an unexpected shape).
    static func mergeAsWhole(field: String, base: JSONValue, mine: JSONValue, current: JSONValue) -> FieldMergeResult {
        if let settled = settledWithoutMerging(base: base, mine: mine, current: current) { return settled }
        return conflict(field: field, base: base, mine: mine, current: current)
    }

    /// The first three rules, which hold for every kind; nil when both sides changed the value.
    /// Agreement is checked first, so that merge(b, x, x) is `.unchanged` even when x == b.
    private static func settledWithoutMerging(base: JSONValue, mine: JSONValue, current: JSONValue) -> FieldMergeResult? {
        if mine == current { return .unchanged }
        if current == base { return .set(mine, merged: false) }
        if mine == base { return .unchanged }
        return nil
    }

    /// Both sides changed the value differently: `current` stays, `mine` is held (4.5).
    static func conflict(field: String, base: JSONValue, mine: JSONValue, current: JSONValue) -> FieldMergeResult {
        .conflicted(value: current, parts: [ConflictPart(path: field, base: base, current: current, held: mine)])
    }

    /// Text changed on both sides. An unset base merges as the empty text (both sides wrote into
    /// an empty field). Clearing the text on one side while the other edited it is a conflict on
    /// the whole field, like a removal meeting an edit: merging line by line would silently drop
    /// the clearing side's intent or the editing side's new lines.
    private static func mergeText(
        field: String, base: JSONValue, mine: JSONValue, current: JSONValue, budget: MergeBudget?
    ) -> FieldMergeResult {
        let baseText: String
        switch base {
        case .null: baseText = ""
        case .string(let s): baseText = s
        default: return conflict(field: field, base: base, mine: mine, current: current)
        }
        guard case .string(let mineText) = mine, case .string(let currentText) = current else {
            return conflict(field: field, base: base, mine: mine, current: current)
        }
        switch TextMerge.merge(base: baseText, mine: mineText, current: currentText, budget: budget) {
        case .clean(let merged):
            // `current`'s change may already contain all of `mine`'s.
            if merged == currentText { return .unchanged }
            return .set(.string(merged), merged: true)
        case .conflict:
            return conflict(field: field, base: base, mine: mine, current: current)
        }
    }
}
