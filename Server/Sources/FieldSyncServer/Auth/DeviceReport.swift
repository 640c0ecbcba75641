import GRDB

/// What a device says about itself on a request (headers `FieldSync-Client`, `FieldSync-Unsent`,
/// `FieldSync-Oldest-Unsent-Seconds`, `FieldSync-Protocol`), kept for device health (contract 5.5).
/// Written in the transaction the request makes anyway, so health costs no extra commit.
struct DeviceReport: Sendable {
    var client: String?
    var protocolVersion: Int?
    var unsent: Int?
    var oldestUnsentSeconds: Int?

    static let sql = """
        UPDATE devices SET last_seen_at = ?, client = COALESCE(?, client), protocol_version = COALESCE(?, protocol_version),
          unsent = COALESCE(?, unsent), oldest_unsent_seconds = ? WHERE id = ?
        """

    func arguments(at time: String, device: String) -> [(any DatabaseValueConvertible)?] {
        [time, client, protocolVersion, unsent, oldestUnsentSeconds, device]
    }
}
