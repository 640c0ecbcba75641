import ArgumentParser
import Foundation

extension FieldSyncCommand {
    /// Parses with the global options in either place (``GlobalOptionOrder``) and exits with the
    /// documented codes (``ExitStatus``): ArgumentParser's usage errors exit 2, not 64.
    static func main() async {
        let arguments = GlobalOptionOrder.normalise(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}
