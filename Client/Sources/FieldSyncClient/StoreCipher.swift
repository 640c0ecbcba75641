import Crypto
import Foundation

/// The row a sealed value belongs to (its table and the row's key as stored), bound to the value
/// as AES-GCM associated data: a sealed value copied or swapped into another row, or another
/// table, does not open.
struct SealedRow: Sendable {
    let associatedData: Data
    /// Case content this device holds for the server (records, their server copies, verdicts):
    /// sealed with the content key, which the offline erase destroys. The outbox and the
    /// settings are sealed with the store key, so unsent edits outlive an erase.
    let isCaseContent: Bool

    private init(_ table: String, _ key: String, caseContent: Bool) {
        associatedData = Data("fieldsync-store|v2|\(table)|\(key)".utf8)
        isCaseContent = caseContent
    }

    static func setting(_ key: String) -> SealedRow { SealedRow("settings", key, caseContent: false) }
    static func localRecord(_ id: String) -> SealedRow { SealedRow("local_records", id, caseContent: true) }
    static func serverRecord(_ id: String) -> SealedRow { SealedRow("server_records", id, caseContent: true) }
    static func outbox(_ sequence: Int64) -> SealedRow { SealedRow("outbox", String(sequence), caseContent: false) }
    static func verdict(changeSet: String, index: Int) -> SealedRow { SealedRow("verdicts", "\(changeSet)/\(index)", caseContent: true) }
    /// A verdict's message (a refusal names states and fields), apart from its operation.
    static func verdictMessage(changeSet: String, index: Int) -> SealedRow {
        SealedRow("verdicts.message", "\(changeSet)/\(index)", caseContent: true)
    }
    /// An entry of the view log: sealed with the store key, like the outbox, so it outlives the
    /// offline erase until the audit trail has it.
    static func viewLog(_ sequence: Int64) -> SealedRow { SealedRow("view_log", String(sequence), caseContent: false) }
}

/// Encrypts record contents, queued change sets, verdicts and the token in the local store
/// (AES-GCM, 256-bit key, each value bound to its row), so a store copied off the device without
/// its key reads as ciphertext, and a value moved to another row is refused, not shown.
/// Record and kind ids stay readable; young-person ids are kept only as a keyed hash
/// (``index(youngPerson:)``), so a copied store tells nothing about who is on the caseload.
///
/// Two keys: the store key (the key file) seals the settings and the outbox; the content key,
/// itself sealed with the store key in the settings, seals case content (``SealedRow/isCaseContent``).
/// The offline erase replaces the content key, so whatever of the erased records is left on
/// the disk no longer opens, while the outbox still does.
struct StoreCipher: Sendable {
    /// The keys' bytes (swift-crypto's `SymmetricKey` is not `Sendable` on every platform).
    let keyBytes: Data
    /// Nil only while a store made before the content key is moved onto one: then case content
    /// is opened with the store key.
    let contentKeyBytes: Data?

    /// The key of ``index(youngPerson:)``, derived from the store key once.
    let indexKeyBytes: Data

    init(key: SymmetricKey, contentKey: SymmetricKey? = nil) {
        keyBytes = key.withUnsafeBytes { Data($0) }
        contentKeyBytes = contentKey?.withUnsafeBytes { Data($0) }
        indexKeyBytes = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Data("fieldsync-store|young-person-index".utf8), outputByteCount: 32
        ).withUnsafeBytes { Data($0) }
    }

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// The same store key with this content key.
    func with(contentKey: SymmetricKey) -> StoreCipher { StoreCipher(key: key, contentKey: contentKey) }

    private func key(for row: SealedRow) -> SymmetricKey {
        if row.isCaseContent, let contentKeyBytes { return SymmetricKey(data: contentKeyBytes) }
        return key
    }

    /// The keyed hash a young person's id is stored as where the store must find rows by it
    /// (HMAC-SHA-256 under a key derived from the store key; 128 bits in hex). Without the key
    /// it cannot be matched to an id, even by trying every id a council holds.
    func index(youngPerson: UUID) -> String {
        let code = HMAC<SHA256>.authenticationCode(
            for: Data(youngPerson.uuidString.lowercased().utf8), using: SymmetricKey(data: indexKeyBytes))
        return code.prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    func seal(_ plaintext: Data, for row: SealedRow) throws(ClientError) -> Data {
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key(for: row), authenticating: row.associatedData).combined else {
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
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key(for: row), authenticating: row.associatedData)
        } catch {
            throw Self.invalidValue
        }
    }

    static let invalidValue = ClientError(
        "store_value_invalid",
        "A value in the local store does not open with this device's key for the row it is in: the store was altered (values moved between rows) or damaged. Nothing was shown or changed. Restore the store from a backup, or move it aside and enrol again (unsent edits in it would be lost)."
    )

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

    /// A key file at `path` (an app would keep the key in the platform keychain instead).
    public init(path: String) { self.path = path }

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
