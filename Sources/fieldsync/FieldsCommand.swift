import ArgumentParser
import FieldSyncProtocol

/// `fieldsync fields [visit|pep]`: every field `set` and `new` take, with its kind and the values
/// it allows, read from the record schemas (so it cannot drift from what the device checks).
struct Fields: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the fields of visit records and PEP drafts: kind, allowed values, what each is for.")
    @OptionGroup var options: DeviceOptions
    @Argument(help: "visit or pep (default: both).") var kind: RecordKind?

    /// One field as `--json` prints it.
    struct FieldInfo: Encodable {
        let record: String
        let name: String
        let kind: String
        let allowed: String
        let summary: String
        /// For list fields: each item's members and what they allow.
        let itemMembers: [String: String]?
    }

    func run() throws {
        let kinds = kind.map { [$0] } ?? RecordKind.allCases
        let fields = kinds.flatMap { kind in
            kind.schema.fieldOrder.compactMap { kind.schema.field($0) }.map { spec in
                FieldInfo(
                    record: kind.rawValue, name: spec.name, kind: spec.kind.kindName, allowed: Self.allowed(spec.kind),
                    summary: spec.summary,
                    itemMembers: Self.members(spec.kind))
            }
        }
        try options.emit(fields) {
            kinds.map { kind in
                var lines = [
                    "\(kind.rawValue) fields (set with FIELD=VALUE; states: \(kind.schema.lifecycle.allStates.joined(separator: ", "))):"
                ]
                for field in fields where field.record == kind.rawValue {
                    lines.append("  \(field.name)  [\(field.kind)] \(field.allowed)")
                    lines.append("      \(field.summary)")
                    for (member, allowed) in (field.itemMembers ?? [:]).sorted(by: { $0.key < $1.key }) {
                        lines.append("      item \(member): \(allowed)")
                    }
                }
                return lines.joined(separator: "\n")
            }.joined(separator: "\n\n")
        }
    }

    static func allowed(_ kind: FieldKind) -> String {
        switch kind {
        case .scalar(let type): type.description
        case .text(let maxLength): "text of up to \(maxLength) characters"
        case .list(let list): "a list of up to \(list.maxItems) items (add with NAME+='{…}', edit with NAME[ID].member=VALUE)"
        }
    }

    static func members(_ kind: FieldKind) -> [String: String]? {
        guard case .list(let list) = kind else { return nil }
        return list.itemFields.mapValues(allowed)
    }
}
