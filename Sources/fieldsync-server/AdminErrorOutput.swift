import ArgumentParser
import FieldSyncServer
import Foundation

/// How an admin command that was asked for `--json` reports failure: one JSON document on stdout,
/// `{"error": {"code": …, "message": …}}`, and a non-zero exit, so a script reads failures the way
/// it reads results. Usage errors get the code `invalid_arguments`. Help, and an exit code a
/// command chose after printing its own result (`audit --verify`), go through ArgumentParser as usual.
enum AdminErrorOutput {
    static func wantsJSON(_ arguments: [String]) -> Bool {
        arguments.first == "admin" && arguments.contains("--json")
    }

    static func exit(with error: any Error) -> Never {
        if let failure = error as? AdminFailure {
            print(json(failure.error))
            Foundation.exit(1)
        }
        let code = FieldSyncServerCommand.exitCode(for: error)
        if code == .success || error is ExitCode { FieldSyncServerCommand.exit(withError: error) }
        print(json(AdminError("invalid_arguments", FieldSyncServerCommand.message(for: error))))
        Foundation.exit(code.rawValue)
    }

    static func json(_ error: AdminError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(["error": error])).map { String(decoding: $0, as: UTF8.self) }
            ?? #"{"error":{"code":"internal","message":"The error could not be encoded."}}"#
    }
}
