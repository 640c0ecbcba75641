import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol

/// `fieldsync`'s documented exit codes (README, "Exit codes"). Scripts and device agents branch
/// on these, so each has one meaning.
enum ExitStatus: Int32 {
    /// Done.
    case done = 0
    /// Refused or failed: the message says why; nothing was changed by the refused action.
    case failed = 1
    /// The command line was not understood (unknown option, missing argument, bad value).
    case usage = 2
    /// The server could not be reached (EX_TEMPFAIL): try again later; everything is kept.
    case unreachable = 75
    /// This device was revoked on the server and its local store has been erased (EX_NOPERM).
    case revokedAndWiped = 77

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The exit for a client error.
    static func of(_ error: ClientError) -> ExitStatus {
        error.code == ClientError.serverUnreachableCode ? .unreachable : .failed
    }

    /// The exit for a finished sync.
    static func of(_ report: SyncReport) -> ExitStatus {
        if report.wiped { return .revokedAndWiped }
        return report.reachable ? .done : .unreachable
    }
}
