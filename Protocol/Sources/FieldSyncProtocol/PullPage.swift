/// One page of the change feed: the current state of every record that changed after the
/// cursor the device sent, oldest change first.
public struct PullPage: Codable, Sendable {
    public var records: [RecordSnapshot]
    /// Where the next pull starts. Opaque: send it back as it is.
    public var cursor: String
    /// True when more changes wait beyond this page: pull again with `cursor` straight away.
    public var more: Bool

    public init(records: [RecordSnapshot], cursor: String, more: Bool) {
        self.records = records
        self.cursor = cursor
        self.more = more
    }
}
