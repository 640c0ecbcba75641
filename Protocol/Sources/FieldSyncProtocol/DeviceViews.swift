import Foundation

/// What a person looked at on a device: the device's public read methods (`show`, `list`,
/// `history`, `export`, and attachment opens once there are attachments) log each view in the
/// local store, and the next sync uploads the log with `POST /v1/device/views` into the server's
/// audit trail as the device's own entries (domain model 2.5 and 5, item 6).
public enum ViewKind: String, Codable, Sendable, CaseIterable {
    /// One record shown (`fieldsync show`).
    case show
    /// Records listed (`fieldsync list`, and reports read from the device's copy).
    case list
    /// A record's history, fetched from the server and shown.
    case history
    /// Records written out of the app (`fieldsync export`): to a file or the terminal.
    case export
    /// An attachment opened. Reserved: the device has no attachments yet.
    case attachmentOpen = "attachment_open"
}

/// One record a view showed, with the young person it is about (nil when the device does not
/// hold the record, e.g. a history fetched by id: the server then names the young person from its
/// own copy).
public struct ViewedRecord: Codable, Sendable, Hashable {
    public var id: UUID
    public var youngPerson: UUID?

    public init(id: UUID, youngPerson: UUID?) {
        self.id = id
        self.youngPerson = youngPerson
    }
}

/// One logged view. A list or export of more than ``DeviceViews/maxRecordsPerView`` records is
/// logged as several entries in a row, each with the next share of the records.
public struct DeviceViewEntry: Codable, Sendable, Equatable {
    /// The device's view sequence: 1, 2, 3 … in the order the views were made; the server stores
    /// each once per device.
    public var sequence: Int64
    /// When the view happened, by the device's clock (information only, as every device time).
    public var at: String
    public var kind: ViewKind
    /// The records shown (for a list or an export: the records it returned), at most ``DeviceViews/maxRecordsPerView``.
    public var records: [ViewedRecord]
    /// For an export: `file` when written to a file, `stdout` when to the terminal or a pipe.
    public var destination: String?

    public init(sequence: Int64, at: String, kind: ViewKind, records: [ViewedRecord], destination: String? = nil) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.records = records
        self.destination = destination
    }
}

/// `POST /v1/device/views`: the device's unsent views, oldest first.
public struct DeviceViewUpload: Codable, Sendable {
    public var views: [DeviceViewEntry]

    public init(views: [DeviceViewEntry]) { self.views = views }
}

/// The answer to an upload: the highest view sequence the server holds for this device. The
/// device deletes every entry up to it; a repeat of an upload (its answer lost) gets the same
/// answer and stores nothing twice.
public struct DeviceViewReceipt: Codable, Sendable {
    public var storedThrough: Int64

    public init(storedThrough: Int64) { self.storedThrough = storedThrough }
}

/// The bounds of a view upload (the server refuses more, and stores nothing of that upload).
public enum DeviceViews {
    /// Most entries in one upload.
    public static let maxEntriesPerUpload = 100
    /// Most records in one entry.
    public static let maxRecordsPerView = 200
    /// Most records in one upload, all entries together: each can be an audit entry of its own
    /// (one per young person), appended in the writer's transaction, so this bounds how long one
    /// upload holds the writer.
    public static let maxRecordsPerUpload = 2_000
    /// The largest upload body a device sends (well under the server's body limit): a device
    /// stops adding entries to a batch before passing it.
    public static let targetUploadBytes = 512 * 1024
    /// Export destinations.
    public static let destinations: Set<String> = ["file", "stdout"]
}
