/// The two kinds of record FieldSync syncs.
public enum RecordKind: String, Codable, Sendable, CaseIterable {
    /// A visit record: a statutory visit, contact or review visit to a young person.
    case visit
    /// A Personal Education Plan draft for one term.
    case pep

    public var schema: RecordSchema {
        switch self {
        case .visit: VisitSchema.schema
        case .pep: PepSchema.schema
        }
    }
}
