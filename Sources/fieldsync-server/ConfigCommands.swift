import ArgumentParser
import Foundation

/// `fieldsync-server config check`: the settings `serve` would run with, where each came from,
/// and whether they pass `serve`'s own checks, without starting anything.
struct ConfigCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check serve's settings from flags, FIELDSYNC_* variables and a configuration file.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the settings serve would use and where each came from; exit 1 if any is wrong.",
            discussion:
                "Give the same --config FILE and flags as serve. Precedence: flag, then FIELDSYNC_<OPTION>, then the file, then the default."
        )

        @Option(help: "The configuration file (default: $FIELDSYNC_CONFIG).") var config: String?
        @Argument(parsing: .allUnrecognized, help: "serve's flags, as they would be given to it.") var serveFlags: [String] = []

        func run() throws {
            let settings: ServeSettings
            do {
                settings = try ServeSettings(
                    arguments: (config.map { ["--config", $0] } ?? []) + serveFlags, environment: ProcessInfo.processInfo.environment)
            } catch {
                Self.fail("\(error)")
            }
            for (option, value, origin) in settings.settings {
                print("\(option) = \(value)\t(\(origin))")
            }
            do {
                _ = try Serve.parse(settings.arguments)
            } catch {
                Self.fail("serve would refuse these settings: \(Serve.message(for: error)) [config_invalid]")
            }
            print("The settings are valid; every other setting takes its default (fieldsync-server serve --help).")
        }

        /// Says what is wrong on stderr and exits 1 (wrong settings are a failed check, not a usage error).
        static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}
