import Foundation

/// One page of the change feed: the current state of every record that changed after the
/// cursor the device sent, oldest change first.
public struct PullPage: Codable, Sendable, Hashable {
    public var records: [RecordSnapshot]
    /// Where the next pull starts. Opaque: send it back as it is.
    public var cursor: String
    /// True when more changes wait beyond this page: pull again with `cursor` straight away.
    public var more: Bool
    /// Young people who left this device's scope (moved to another worker): the device removes
    /// their records from its store, once it has pushed any unsent edits to them.
    public var removed: [UUID]?

    public init(records: [RecordSnapshot], cursor: String, more: Bool, removed: [UUID]? = nil) {
        self.records = records
        self.cursor = cursor
        self.more = more
        self.removed = removed
    }
}
