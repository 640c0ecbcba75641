import Foundation

/// Writes a new owner-only (0600) file, never over an existing one: the bytes go to a private
/// temporary file beside it, are synced, then linked into place (which fails if the name exists),
/// and the folder is synced, so the file is either absent or whole after a crash.
enum PrivateFile {
    /// Why a file could not be written, as a sentence's end ("Permission denied", "File exists").
    struct Failure: Error {
        let reason: String
    }

    static func createNew(at path: String, contents data: Data) throws(Failure) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, DataFolderPermissions.fileMode)
        guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        let writeError = errno
        close(fd)
        defer { unlink(temporary) }
        guard written == data.count, synced == 0 else { throw Failure(reason: String(cString: strerror(writeError))) }
        guard link(temporary, path) == 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        syncFolder(folder.isEmpty ? "." : folder)
    }

    /// Flushes a folder's entries (new names in it) to disk.
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Flushes a file's bytes to disk.
    static func sync(_ path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(reason: String(cString: strerror(errno))) }
    }
}
