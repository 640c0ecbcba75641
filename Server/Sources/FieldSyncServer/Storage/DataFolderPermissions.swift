import Foundation

/// Keeps the data folder private to the account that runs the server: the folder 0700 and every
/// file in it 0600 (the database, its `-wal` and `-shm`, keys, the working-day calendar). The
/// records are about children in care; no other local account may read them.
///
/// New files are private because the executables set `umask(077)` before they touch the folder;
/// a store made by an earlier build (0755 and 0644) is tightened when it is opened, and each
/// change is reported so the operator sees it.
public enum DataFolderPermissions {
    public static let folderMode: mode_t = 0o700
    public static let fileMode: mode_t = 0o600

    /// Makes new files and folders of this process private (owner only). Call first thing in an
    /// executable that writes the data folder.
    public static func restrictNewFiles() {
        umask(0o077)
    }

    /// Creates the folder 0700 if missing, else tightens it, and tightens every regular file
    /// directly inside it. Returns one line per path whose mode was changed.
    static func secure(folder: String) throws(StorageError) -> [String] {
        var changed: [String] = []
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(folderMode)])
            } catch {
                throw StorageError("Cannot create the data folder \(folder): \(error.localizedDescription)")
            }
            // The attribute is filtered by the umask; set it outright.
            _ = chmod(folder, folderMode)
            return changed
        }
        guard isDirectory.boolValue else { throw StorageError("\(folder) is a file; --data must name a folder.") }
        if let line = try tighten(folder, to: folderMode) { changed.append(line) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() {
            let path = (folder as NSString).appendingPathComponent(name)
            // attributesOfItem does not follow symbolic links (lstat): only regular files are tightened.
            guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular else { continue }
            if let line = try tighten(path, to: fileMode) { changed.append(line) }
        }
        return changed
    }

    /// Tightens one path when group or others have any access; nil when it was private already.
    /// (Read through FileManager rather than `stat`'s struct, whose members Swift's member-import
    /// visibility ties to whichever C module happened to declare it first.)
    private static func tighten(_ path: String, to mode: mode_t) throws(StorageError) -> String? {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let permissions = (try? FileManager.default.attributesOfItem(atPath: target))?[.posixPermissions] as? NSNumber else {
            return nil
        }
        let current = mode_t(permissions.uint16Value) & 0o777
        guard current & 0o077 != 0 else { return nil }
        guard chmod(path, mode) == 0 else {
            throw StorageError(
                "\(path) is readable by other accounts (mode \(String(current, radix: 8))) and could not be made private: \(String(cString: strerror(errno))). Run the server as the folder's owner."
            )
        }
        return "\(path): \(String(current, radix: 8)) -> \(String(mode, radix: 8))"
    }
}
