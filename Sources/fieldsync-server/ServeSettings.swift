import Foundation

/// `serve`'s settings from three places besides its flags: a configuration file and environment
/// variables. Precedence, highest first: a flag on the command line, then the environment variable
/// `FIELDSYNC_<OPTION>` (upper case, `-` as `_`: `FIELDSYNC_LOG_LEVEL`), then the file named by
/// `--config FILE` or `$FIELDSYNC_CONFIG`, then the built-in default.
///
/// The file holds one `option = value` a line, option names as the flags spell them without the
/// dashes (`log-format = json`); `#` starts a comment; blank lines are ignored. The settings are
/// turned into the flags they stand for before the command line is parsed, so every setting is
/// checked by exactly the rules its flag is (and `config check` reports the same errors).
struct ServeSettings {
    /// Every `serve` option a file or the environment may set (a test checks it against `serve --help`).
    static let options = [
        "data", "host", "port", "max-body-bytes", "log-level", "log-format", "access-log", "metrics-port", "metrics-host",
        "audit-key-file", "audit-anchor-interval-seconds", "idle-timeout-seconds", "header-read-timeout-seconds",
        "enrol-failures-per-minute", "enrol-failures-per-minute-overall", "read-audit", "offline-lease-days", "offline-erase-days",
        "device-retention-days", "watch-heartbeat-seconds", "watch-max-seconds", "watches-per-device", "max-watches",
    ]

    /// Where a setting came from.
    enum Origin: CustomStringConvertible {
        case flag
        case environment(String)
        case file(String, line: Int)

        var description: String {
            switch self {
            case .flag: "command line"
            case .environment(let name): "environment \(name)"
            case .file(let path, let line): "\(path):\(line)"
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let code: String
        let message: String
        var description: String { "\(message) [\(code)]" }
    }

    /// The arguments with the settings from the environment and the file added as flags.
    var arguments: [String]
    /// Each setting given, with its value and where it came from, in `options` order.
    var settings: [(option: String, value: String, origin: Origin)]

    static func environmentName(_ option: String) -> String {
        "FIELDSYNC_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// `arguments` are `serve`'s own (after the subcommand's name), possibly with `--config FILE`.
    init(arguments given: [String], environment: [String: String]) throws(Failure) {
        var arguments = given
        var configPath = environment["FIELDSYNC_CONFIG"]
        if let index = arguments.firstIndex(where: { $0 == "--config" || $0.hasPrefix("--config=") }) {
            if arguments[index] == "--config" {
                guard index + 1 < arguments.count else {
                    throw Failure(code: "config_invalid", message: "--config needs a file name.")
                }
                configPath = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            } else {
                configPath = String(arguments[index].dropFirst("--config=".count))
                arguments.remove(at: index)
            }
        }
        let file = try configPath.map { path throws(Failure) in try Self.read(path) } ?? [:]
        var settings: [(option: String, value: String, origin: Origin)] = []
        for option in Self.options {
            if let index = arguments.firstIndex(where: { $0 == "--\(option)" || $0.hasPrefix("--\(option)=") }) {
                let word = arguments[index]
                let value =
                    word.contains("=")
                    ? String(word.drop { $0 != "=" }.dropFirst()) : (index + 1 < arguments.count ? arguments[index + 1] : "")
                settings.append((option, value, .flag))
            } else if let value = environment[Self.environmentName(option)], !value.isEmpty {
                arguments += ["--\(option)", value]
                settings.append((option, value, .environment(Self.environmentName(option))))
            } else if let (value, line) = file[option], let configPath {
                arguments += ["--\(option)", value]
                settings.append((option, value, .file(configPath, line: line)))
            }
        }
        self.arguments = arguments
        self.settings = settings
    }

    /// The file's settings, each with its line number.
    static func read(_ path: String) throws(Failure) -> [String: (String, Int)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(
                code: "config_unreadable", message: "The configuration file \(path) cannot be read (check the path and its permissions).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(code: "config_invalid", message: "The configuration file \(path) is not UTF-8 text.")
        }
        var found: [String: (String, Int)] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let trimmed = content.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw Failure(code: "config_invalid", message: "\(path):\(line): expected 'option = value', found '\(trimmed)'.")
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard options.contains(key) else {
                throw Failure(
                    code: "config_invalid",
                    message: "\(path):\(line): '\(key)' is not a serve setting. Settings: \(options.joined(separator: ", ")).")
            }
            if let earlier = found[key] {
                throw Failure(code: "config_invalid", message: "\(path):\(line): '\(key)' is set twice (first on line \(earlier.1)).")
            }
            guard !value.isEmpty else { throw Failure(code: "config_invalid", message: "\(path):\(line): '\(key)' has no value.") }
            found[key] = (value, line)
        }
        return found
    }
}
