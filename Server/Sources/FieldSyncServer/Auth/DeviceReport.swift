import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes

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

    static var clientHeader: HTTPField.Name { HTTPField.Name(WireProtocol.clientHeader)! }
    static var unsentHeader: HTTPField.Name { HTTPField.Name(WireProtocol.unsentHeader)! }
    static var oldestUnsentHeader: HTTPField.Name { HTTPField.Name(WireProtocol.oldestUnsentHeader)! }
    static var versionHeader: HTTPField.Name { HTTPField.Name(WireProtocol.versionHeader)! }

    /// The report in `headers`, each header checked: a bad value is left out (not stored) and
    /// named in `ignored`, never a refusal, since a push must not be refused over health.
    static func parse(_ headers: HTTPFields) -> (report: DeviceReport, ignored: [String]) {
        var ignored: [String] = []
        func count(_ name: HTTPField.Name) -> Int? {
            guard let text = headers[name] else { return nil }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), (0...WireProtocol.maxReportedCount).contains(n) else {
                ignored.append("\(name.rawName) ignored: it must be a whole number from 0 to \(WireProtocol.maxReportedCount)")
                return nil
            }
            return n
        }
        var client = headers[clientHeader]
        if let name = client,
            name.isEmpty || name.utf8.count > WireProtocol.maxClientNameLength || !name.utf8.allSatisfy({ (0x20...0x7e).contains($0) })
        {
            ignored.append(
                "\(WireProtocol.clientHeader) ignored: it must be 1 to \(WireProtocol.maxClientNameLength) printable ASCII characters, e.g. fieldsync-cli/0.1.0"
            )
            client = nil
        }
        let report = DeviceReport(
            client: client, protocolVersion: headers[versionHeader].flatMap { Int($0) }, unsent: count(unsentHeader),
            oldestUnsentSeconds: count(oldestUnsentHeader))
        return (report, ignored)
    }
}
