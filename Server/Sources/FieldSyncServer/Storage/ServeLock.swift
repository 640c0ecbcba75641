import Foundation

/// One server per data folder: `serve` holds an exclusive advisory lock (`flock`) on
/// `serve.lock` in the data folder for as long as the process lives, so a second `serve` on the
/// same folder is refused before it opens the store. The kernel drops the lock when the process
/// ends, however it ends (a SIGKILL or a power cut leaves no stale lock behind).
///
/// Admin commands do not take it: they work beside a running server through SQLite's own
/// locking, as they always have (docs/operations.md).
public final class ServeLock: Sendable {
    public static let fileName = "serve.lock"
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock, making the data folder (0700) if it is missing; throws `store_in_use`
    /// when another process holds it.
    public static func acquire(dataDirectory: String) throws(StorageError) -> ServeLock {
        if !FileManager.default.fileExists(atPath: dataDirectory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: dataDirectory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: Int(DataFolderPermissions.folderMode)])
            } catch {
                throw StorageError("Cannot create the data folder \(dataDirectory): \(error.localizedDescription)")
            }
        }
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, DataFolderPermissions.fileMode)
        guard fd >= 0 else {
            throw StorageError("Cannot open the lock file \(path): \(String(cString: strerror(errno))).")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.recordedHolder(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                throw StorageError(
                    """
                    Another fieldsync-server\(holder.map { " (pid \($0))" } ?? "") is already serving \(dataDirectory): it holds \
                    \(path). One server per data folder; stop that one first, or give this one another --data.
                    """,
                    code: "store_in_use")
            }
            throw StorageError("Cannot lock \(path): \(String(cString: strerror(reason))).")
        }
        // Who holds it, for the message a second server prints (information only: the lock is the flock).
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        return ServeLock(path: path, descriptor: fd)
    }

    private static func recordedHolder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
