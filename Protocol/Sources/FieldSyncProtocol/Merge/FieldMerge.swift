/// Three-way merging of one field: the value the device edited from (`base`), the device's new
/// value (`mine`) and the value current on the server (`current`).
///
/// The rules (contract section 4):
/// - `current == base`: nobody else changed it; `mine` is taken.
/// - `mine == current`: both sides agree (4.2); nothing changes, no conflict.
/// - `mine == base`: this side did not change it; `current` stays.
/// - otherwise by field kind:
///   - scalar: a conflict; `current` stays, `mine` is held (4.5).
///   - text: merged by line (see ``TextMerge``); overlapping edits are a conflict that keeps both
///     texts in full (4.3).
///   - list: merged item by item on the item ids (see ``ListMerge``) (4.4).
public enum FieldMerge {
    /// With a `budget`, text merges draw on it, and are conflicts once it is spent (see ``MergeBudget``).
    public static func merge(
        field: String, kind: FieldKind, base: JSONValue, mine: JSONValue, current: JSONValue, budget: MergeBudget? = nil
    ) -> FieldMergeResult {
        // Implemented in FieldMerge+Rules.swift.
        mergeByRules(field: field, kind: kind, base: base, mine: mine, current: current, budget: budget)
    }
}

/// What merging one field gives.
public enum FieldMergeResult: Sendable, Hashable {
    /// Nothing to change: both sides agree, or this side did not change the field.
    case unchanged
    /// Set the field to this value. `merged` is true when concurrent changes were combined
    /// (rather than `mine` simply taken).
    case set(JSONValue, merged: Bool)
    /// Set the field to `value` (which may equal `current`) and open a conflict for each part
    /// that could not be combined. Every side of every part is kept in the parts.
    case conflicted(value: JSONValue, parts: [ConflictPart])
}

/// One place two edits collided: a whole field, or one member of one list item.
public struct ConflictPart: Sendable, Hashable {
    /// ``FieldPath`` text: `childViews`, `actions[<item id>].status`, or `actions[<item id>]` for an
    /// edit that met a removal.
    public var path: String
    public var base: JSONValue
    /// The value that stays current (null when the item was removed on the server).
    public var current: JSONValue
    /// The value this side wrote, held until resolved (null when this side removed the item).
    public var held: JSONValue

    public init(path: String, base: JSONValue, current: JSONValue, held: JSONValue) {
        self.path = path
        self.base = base
        self.current = current
        self.held = held
    }
}
