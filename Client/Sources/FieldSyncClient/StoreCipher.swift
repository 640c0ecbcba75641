import Crypto
import Foundation

/// The row a sealed value belongs to (its table and the row's key as stored), bound to the value
/// as AES-GCM associated data: a sealed value copied or swapped into another row, or another
/// table, does not open.
struct SealedRow: Sendable {
    let associatedData: Data

    private init(_ table: String, _ key: String) {
        associatedData = Data("fieldsync-store|v2|\(table)|\(key)".utf8)
    }

    static func setting(_ key: String) -> SealedRow { SealedRow("settings", key) }
    static func localRecord(_ id: String) -> SealedRow { SealedRow("local_records", id) }
    static func serverRecord(_ id: String) -> SealedRow { SealedRow("server_records", id) }
    static func outbox(_ sequence: Int64) -> SealedRow { SealedRow("outbox", String(sequence)) }
    static func verdict(changeSet: String, index: Int) -> SealedRow { SealedRow("verdicts", "\(changeSet)/\(index)") }
    static func viewLog(_ sequence: Int64) -> SealedRow { SealedRow("view_log", String(sequence)) }
}

/// Encrypts record contents, queued change sets, verdicts and the token in the local store
/// (AES-GCM, 256-bit key, each value bound to its row), so a store copied off the device without
/// its key reads as ciphertext, and a value moved to another row is refused, not shown.
/// Ids, kinds, states and pseudonymous young-person ids stay readable, for indexing.
struct StoreCipher: Sendable {
    /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable` on every platform).
    let keyBytes: Data

    init(key: SymmetricKey) { keyBytes = key.withUnsafeBytes { Data($0) } }

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    func seal(_ plaintext: Data, for row: SealedRow) throws(ClientError) -> Data {
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key, authenticating: row.associatedData).combined else {
                throw ClientError("encryption_failed", "The local store could not encrypt a value.")
            }
            return combined
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError("encryption_failed", "The local store could not encrypt a value: \(error)")
        }
    }

    func open(_ sealed: Data, for row: SealedRow) throws(ClientError) -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: row.associatedData)
        } catch {
            throw ClientError(
                "store_value_invalid",
                "A value in the local store does not open with this device's key for the row it is in: the store was altered (values moved between rows) or damaged. Nothing was shown or changed. Restore the store from a backup, or move it aside and enrol again (unsent edits in it would be lost)."
            )
        }
    }

    /// Opens a value sealed before values were bound to their rows (stores made before
    /// ``LocalStore/sealScheme`` 2); used only to re-seal them.
    func openUnbound(_ sealed: Data) throws(ClientError) -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
        } catch {
            throw ClientError(
                "store_key_mismatch",
                "The local store cannot be decrypted with this device's key (the key belongs to another store, or the store was altered).")
        }
    }
}

/// Where a device keeps its store key. An app on Apple platforms would keep it in the keychain;
/// the headless CLI keeps it in a file outside the store's folder, readable by its user only.
public struct StoreKeyFile: Sendable {
    public let path: String

    /// The key file for a store: in `$FIELDSYNC_KEY_DIR` (default `~/.fieldsync/keys`), named by a
    /// hash of the store's absolute path.
    public static func `for`(storePath: String) -> StoreKeyFile {
        let directory =
            ProcessInfo.processInfo.environment["FIELDSYNC_KEY_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".fieldsync/keys")
        let absolute = URL(fileURLWithPath: storePath).standardizedFileURL.path
        let name = SHA256.hash(data: Data(absolute.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        return StoreKeyFile(path: (directory as NSString).appendingPathComponent("\(name).key"))
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads the key; tightens the file to 0600 and its folder to 0700 if they were left open.
    func load() throws(ClientError) -> SymmetricKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientError("store_key_unreadable", "The store key at \(path) cannot be read (check its owner and permissions).")
        }
        guard data.count == 32 else { throw ClientError("store_key_invalid", "The store key at \(path) is damaged.") }
        Self.tighten(path, to: 0o600)
        Self.tighten((path as NSString).deletingLastPathComponent, to: 0o700)
        return SymmetricKey(data: data)
    }

    /// Reads the key, making one (0600, in a 0700 folder) when there is none yet. Only for a
    /// store that holds nothing sealed (brand new, or erased): anywhere else a new key would
    /// hide the store's contents behind a mismatch.
    func loadOrCreate() throws(ClientError) -> SymmetricKey {
        let fm = FileManager.default
        if exists { return try load() }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError("storage_error", "Cannot create the key folder for \(path): \(error.localizedDescription)")
        }
        Self.tighten(folder, to: 0o700)
        // Written under a private temporary name, then linked into place, which never replaces:
        // if another process made the key meanwhile, that key is the one.
        let temporary = path + ".new-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw ClientError("storage_error", "Cannot write the store key at \(path): \(String(cString: strerror(errno))).")
        }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        defer { unlink(temporary) }
        guard written == data.count, synced == 0 else {
            throw ClientError("storage_error", "Cannot write the store key at \(path): \(String(cString: strerror(errno))).")
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return try load() }
            throw ClientError("storage_error", "Cannot write the store key at \(path): \(String(cString: strerror(errno))).")
        }
        return key
    }

    /// Takes group and other permissions off a file or folder of this user's. Not the home
    /// folder, nor a shared sticky folder such as /tmp, if the key folder was pointed at one.
    static func tighten(_ path: String, to mode: Int) {
        guard !path.isEmpty, path != NSHomeDirectory(),
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let current = attributes[.posixPermissions] as? Int, current & 0o077 != 0, current & 0o1000 == 0,
            (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == getuid()
        else { return }
        try? FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    /// Crypto-shredding: without the key, whatever is left of the store is unreadable.
    func destroy() {
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.write(Data(repeating: 0, count: 32))
            try? handle.synchronize()
            try? handle.close()
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}
