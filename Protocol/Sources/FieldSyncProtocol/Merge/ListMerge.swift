/// Three-way merging of a list field item by item, on the item ids (contract 4.4).
///
/// Items are matched by `id`, compared case-insensitively (they are UUID strings). An item is
/// "edited" on a side when its object differs from base's; a member set to `null` counts as
/// absent, and the spelling of the id does not count.
///
/// For each item:
/// - added on one side: kept. Added on both sides with the same id: merged member by member
///   from an empty base.
/// - removed on one side, untouched on the other: removed.
/// - removed on both sides: removed.
/// - removed on one side, edited on the other: a conflict part `field[<id>]` with base = base's
///   item, current = current's item (or null), held = mine's item (or null). The current side
///   stays: an item current removed stays removed, an item current edited stays (1.4, 4.5).
/// - edited on one side only: that side's item.
/// - edited on both sides: merged member by member with the member kinds of the ``ListSchema``
///   (text members by line with ``TextMerge``, every other member as a whole). A member that
///   cannot be merged keeps current's value and gives a part `field[<id>].member`.
///
/// Order: current's items in current's order, then the items only mine added, in mine's order.
/// (A reordering made only on mine's side is therefore not kept when current also changed the
/// list.)
///
/// Result: `.conflicted` when any part could not be merged; `.unchanged` when the merged list
/// equals current's; `.set(mine, merged: false)` when current equals base (mine is simply taken);
/// otherwise `.set(merged list, merged: true)`.
///
/// A value that is not a list of objects with distinct string ids on any side (which validation
/// refuses) is merged as a whole, like a scalar, so nothing is dropped.
public enum ListMerge {
    public static func merge(
        field: String, schema: ListSchema, base: JSONValue, mine: JSONValue, current: JSONValue, budget: MergeBudget? = nil
    ) -> FieldMergeResult {
        guard let baseItems = ItemList(base), let mineItems = ItemList(mine), let currentItems = ItemList(current) else {
            return FieldMerge.mergeAsWhole(field: field, base: base, mine: mine, current: current)
        }
        // The rules of ``FieldMerge`` first, comparing as items (null members, id case ignored).
        if ItemList.same(mineItems.ordered, currentItems.ordered) { return .unchanged }
        if ItemList.same(currentItems.ordered, baseItems.ordered) { return .set(mine, merged: false) }
        if ItemList.same(mineItems.ordered, baseItems.ordered) { return .unchanged }

        var merged: [[String: JSONValue]] = []
        var parts: [ConflictPart] = []

        for key in currentItems.keys {
            let c = currentItems.items[key]!
            let b = baseItems.items[key]
            let path = "\(field)[\(ItemList.id(of: c))]"
            guard let m = mineItems.items[key] else {
                guard let b else {
                    merged.append(c)  // added by current
                    continue
                }
                if !ItemList.same(c, b) {
                    // Mine removed it, current edited it: current's item stays, the removal is held.
                    parts.append(ConflictPart(path: path, base: .object(b), current: .object(c), held: .null))
                    merged.append(c)
                }
                continue
            }
            if ItemList.same(m, c) || b.map({ ItemList.same(m, $0) }) == true {
                merged.append(c)
            } else if let b, ItemList.same(c, b) {
                merged.append(m)
            } else {
                merged.append(
                    mergeMembers(
                        path: path, schema: schema, base: b ?? [:], mine: m, current: c, parts: &parts, budget: budget))
            }
        }

        for key in mineItems.keys where currentItems.items[key] == nil {
            let m = mineItems.items[key]!
            guard let b = baseItems.items[key] else {
                merged.append(m)  // added by mine
                continue
            }
            if !ItemList.same(m, b) {
                // Mine edited it, current removed it: it stays removed, mine's item is held.
                let path = "\(field)[\(ItemList.id(of: b))]"
                parts.append(ConflictPart(path: path, base: .object(b), current: .null, held: .object(m)))
            }
        }

        let value = JSONValue.array(merged.map(JSONValue.object))
        if !parts.isEmpty { return .conflicted(value: value, parts: parts) }
        if ItemList.same(merged, currentItems.ordered) { return .unchanged }
        return .set(value, merged: true)
    }

    /// One item edited on both sides (or added on both with the same id, from an empty base),
    /// merged member by member. Starts from current's object, so its id spelling stays.
    private static func mergeMembers(
        path: String, schema: ListSchema, base: [String: JSONValue], mine: [String: JSONValue],
        current: [String: JSONValue], parts: inout [ConflictPart], budget: MergeBudget?
    ) -> [String: JSONValue] {
        var result = current
        let names = Set(base.keys).union(mine.keys).union(current.keys).subtracting(["id"]).sorted()
        for name in names {
            let memberPath = "\(path).\(name)"
            let b = base[name] ?? .null
            let m = mine[name] ?? .null
            let c = current[name] ?? .null
            let outcome: FieldMergeResult
            if let kind = schema.itemFields[name], case .text = kind {
                outcome = FieldMerge.mergeByRules(field: memberPath, kind: kind, base: b, mine: m, current: c, budget: budget)
            } else {
                outcome = FieldMerge.mergeAsWhole(field: memberPath, base: b, mine: m, current: c)
            }
            switch outcome {
            case .unchanged:
                break
            case .set(let value, _):
                if value.isNull { result.removeValue(forKey: name) } else { result[name] = value }
            case .conflicted(_, let memberParts):
                parts.append(contentsOf: memberParts)  // current's value, already in `result`, stays
            }
        }
        return result
    }
}

/// One side's list: its items by lower-cased id, and the ids in list order.
private struct ItemList {
    var keys: [String] = []
    var items: [String: [String: JSONValue]] = [:]

    var ordered: [[String: JSONValue]] { keys.map { items[$0]! } }

    /// Nil when the value is not a list of objects with distinct string ids. `null` (an unset
    /// field) is the empty list.
    init?(_ value: JSONValue) {
        switch value {
        case .null:
            return
        case .array(let elements):
            for element in elements {
                guard case .object(let item) = element, let id = item["id"]?.stringValue else { return nil }
                let key = id.lowercased()
                guard items.updateValue(item, forKey: key) == nil else { return nil }
                keys.append(key)
            }
        default:
            return nil
        }
    }

    static func id(of item: [String: JSONValue]) -> String { item["id"]?.stringValue ?? "" }

    /// Equal as items: ignoring members set to null and the case of the id.
    static func same(_ x: [String: JSONValue], _ y: [String: JSONValue]) -> Bool {
        normalized(x) == normalized(y)
    }

    static func same(_ x: [[String: JSONValue]], _ y: [[String: JSONValue]]) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    }

    private static func normalized(_ item: [String: JSONValue]) -> [String: JSONValue] {
        var result = item.filter { !$0.value.isNull }
        if let id = item["id"]?.stringValue { result["id"] = .string(id.lowercased()) }
        return result
    }
}
