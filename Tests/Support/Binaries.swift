import Foundation

/// Finds the built `fieldsync-server` and `fieldsync` executables: `FIELDSYNC_BIN_DIR` if set,
/// else the folder the test bundle was built into (SwiftPM puts products beside it).
public enum Binaries {
    public static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["FIELDSYNC_BIN_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        var candidates: [URL] = []
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("fieldsync-server").path) {
            return dir
        }
        // Fall back to the package's debug folder.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }()

    public static var server: String { directory.appendingPathComponent("fieldsync-server").path }
    public static var client: String { directory.appendingPathComponent("fieldsync").path }
}
