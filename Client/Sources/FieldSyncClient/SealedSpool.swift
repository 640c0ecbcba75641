import Crypto
import Foundation

/// Where a long answer (the reconciled export) waits between arriving and being read: a file
/// beside the store (private folder, 0600), written as it arrives, chunk by chunk, each sealed
/// (AES-GCM) with a key that exists only in this process's memory and bound to its place in the
/// file. The records are read twice (once to log the view before anything is shown, once to write
/// them out), so they must wait somewhere; a crash or a kill leaves ciphertext that nothing can open.
final class SealedSpool: @unchecked Sendable {
    let path: String
    private let handle: FileHandle
    private let key = SymmetricKey(size: .bits256)
    private let lock = NSLock()
    private var written: UInt64 = 0
    /// Set when a chunk could not be written: the answer is then incomplete.
    private(set) var failure: ClientError?

    /// A new, empty spool in `folder` (made 0600, never over an existing file).
    init(in folder: String) throws(ClientError) {
        path = ((folder.isEmpty ? "." : folder) as NSString).appendingPathComponent(".fieldsync-spool-\(UUID().uuidString)")
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ClientError("storage_error", "Cannot write \(path): \(String(cString: strerror(errno))).") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    deinit { unlink(path) }

    private static func associatedData(_ index: UInt64) -> Data { Data("fieldsync-spool|\(index)".utf8) }

    /// Seals and appends one chunk; false (and ``failure`` set) when it could not be written.
    @discardableResult
    func append(_ chunk: Data) -> Bool {
        lock.withLock {
            guard failure == nil else { return false }
            do {
                guard let sealed = try AES.GCM.seal(chunk, using: key, authenticating: Self.associatedData(written)).combined else {
                    throw ClientError("encryption_failed", "A chunk of the answer could not be sealed.")
                }
                var length = UInt32(sealed.count).bigEndian
                try handle.write(contentsOf: Data(bytes: &length, count: 4) + sealed)
                written += 1
                return true
            } catch {
                failure = ClientError("storage_error", "Cannot hold the server's answer in \(path): \(error)")
                return false
            }
        }
    }

    /// The spool's lines, from the start, opened chunk by chunk (constant memory). A chunk that
    /// does not open (the file was altered) ends the lines and sets ``failure``.
    func lines() -> LineReader {
        lock.withLock { try? handle.seek(toOffset: 0) }
        var index: UInt64 = 0
        return LineReader { [self] in
            lock.withLock {
                guard failure == nil, index < written,
                    let header = try? handle.read(upToCount: 4), header.count == 4
                else { return Data() }
                let length = header.reduce(0) { $0 << 8 | Int($1) }
                do {
                    guard let sealed = try handle.read(upToCount: length), sealed.count == length else {
                        throw ClientError("storage_error", "The held answer in \(path) is cut short.")
                    }
                    let plain = try AES.GCM.open(
                        AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Self.associatedData(index))
                    index += 1
                    return plain
                } catch {
                    failure = ClientError(
                        "store_value_invalid",
                        "The held answer in \(path) was altered while the export ran; nothing was written. Run the export again.")
                    return Data()
                }
            }
        }
    }
}
