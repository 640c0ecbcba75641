import FieldSyncProtocol
import Foundation

/// Lists that only grow (addenda after authorisation): every item on the server stays exactly as
/// it is, and the device's new items are added after them.
enum AppendOnlyList {
    enum Outcome: Equatable {
        /// `mine` adds nothing the server does not hold.
        case unchanged
        /// The server's items followed by `mine`'s new ones.
        case appended(JSONValue)
        /// `mine` changes or removes an item the server holds.
        case refused
    }

    static func append(current: JSONValue, mine: JSONValue, base: JSONValue) -> Outcome {
        let held = (current.arrayValue ?? []).compactMap(\.objectValue)
        let byId = Dictionary(held.map { (itemId($0).lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        guard let proposed = mine.arrayValue?.compactMap(\.objectValue) else { return .refused }
        let proposedIds = Set(proposed.map { itemId($0).lowercased() })
        // Removing an item the device knew about (in its base) and the server still has.
        for item in (base.arrayValue ?? []).compactMap(\.objectValue) {
            let id = itemId(item).lowercased()
            if byId[id] != nil, !proposedIds.contains(id) { return .refused }
        }
        var added: [JSONValue] = []
        for item in proposed {
            let id = itemId(item).lowercased()
            if let existing = byId[id] {
                if existing != item { return .refused }
            } else {
                added.append(.object(item))
            }
        }
        guard !added.isEmpty else { return .unchanged }
        return .appended(.array(held.map(JSONValue.object) + added))
    }
}

extension AppendOnlyList {
    /// An item's id as lists compare it (UUID text, any case).
    static func itemId(_ item: [String: JSONValue]) -> String { item["id"]?.stringValue ?? "" }
}
