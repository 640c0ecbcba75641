import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// What the handlers learn about a request that its access-log line and metrics need: the
/// device once its token is checked, and the body's size once it is read. The middleware makes
/// one ``current`` for each request's task; code deeper down fills it in.
///
/// Holds only ids and counts: never a token, an enrolment code or field content.
final class RequestObservation: Sendable {
    private struct State {
        var device: UUID?
        var bytesIn: Int?
    }

    private let state = Mutex(State())

    @TaskLocal static var current: RequestObservation?

    var device: UUID? { state.withLock { $0.device } }
    var bytesIn: Int? { state.withLock { $0.bytesIn } }

    /// Called by ``DeviceAuthenticator`` when a token names a device in good standing.
    static func authenticated(_ device: UUID) {
        current?.state.withLock { $0.device = device }
    }

    /// Called by ``RequestDecoding`` with the size of a body it read.
    static func readBody(bytes: Int) {
        current?.state.withLock { $0.bytesIn = bytes }
    }
}

/// The id that ties a request's access-log line to what the client saw: the client's own
/// `X-Request-Id` when it is well formed (1 to 64 letters, digits, `-`, `_`, `.` or `:`),
/// else one made here. Returned on every answer in `X-Request-Id`.
enum RequestIdentifier {
    static let header = HTTPField.Name("X-Request-Id")!

    static func accept(_ incoming: String?) -> String? {
        guard let incoming, (1...64).contains(incoming.utf8.count),
            incoming.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A
            })
        else { return nil }
        return incoming
    }

    static func make() -> String { RequestID().description }
}
