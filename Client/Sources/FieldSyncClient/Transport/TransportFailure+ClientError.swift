import Foundation

extension ClientError {
    /// The code of every "the server could not be reached" error: the CLI exits 75 on it, and
    /// everything unsent stays on the device.
    public static let serverUnreachableCode = "server_unreachable"

    /// The one mapping from a transport failure to the error a person reads.
    static func unreachable(_ failure: TransportFailure, server: String) -> ClientError {
        let kept = "Your edits are kept on this device"
        switch failure {
        case .cannotConnect:
            return ClientError(
                serverUnreachableCode, "Cannot reach the server at \(server) (no connection). \(kept); sync again when you have a signal.")
        case .connectionLost:
            return ClientError(
                serverUnreachableCode,
                "The connection to the server at \(server) broke before its answer was complete. \(kept); sync again when you have a signal."
            )
        case .timedOut:
            return ClientError(serverUnreachableCode, "The server at \(server) did not answer in time. \(kept); sync again later.")
        case .cannotFindHost:
            return ClientError(serverUnreachableCode, "Cannot find the server \(server); check the address. \(kept).")
        case .answerTooLarge(let limit):
            return ClientError(
                "bad_answer", "The server at \(server) sent an answer larger than \(limit / 1_048_576) MiB; it was not read.")
        }
    }
}
