import Crypto
import Foundation

/// Encrypts record contents, queued change sets, verdicts and the token in the local store
/// (AES-GCM, 256-bit key), so a store copied off the device without its key reads as ciphertext.
/// Ids, kinds, states and pseudonymous young-person ids stay readable, for indexing.
struct StoreCipher: Sendable {
    /// The key's bytes (swift-crypto's `SymmetricKey` is not `Sendable` on every platform).
    let keyBytes: Data

    init(key: SymmetricKey) { keyBytes = key.withUnsafeBytes { Data($0) } }

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    func seal(_ plaintext: Data) throws(ClientError) -> Data {
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
                throw ClientError("encryption_failed", "The local store could not encrypt a value.")
            }
            return combined
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError("encryption_failed", "The local store could not encrypt a value: \(error)")
        }
    }

    func open(_ sealed: Data) throws(ClientError) -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
        } catch {
            throw ClientError(
                "store_key_mismatch",
                "The local store cannot be decrypted with this device's key (the key is missing or belongs to another store).")
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
        let directory = ProcessInfo.processInfo.environment["FIELDSYNC_KEY_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".fieldsync/keys")
        let absolute = URL(fileURLWithPath: storePath).standardizedFileURL.path
        let name = SHA256.hash(data: Data(absolute.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        return StoreKeyFile(path: (directory as NSString).appendingPathComponent("\(name).key"))
    }

    /// Reads the key, making one (0600) when there is none yet.
    func loadOrCreate() throws(ClientError) -> SymmetricKey {
        let fm = FileManager.default
        if let data = fm.contents(atPath: path) {
            guard data.count == 32 else { throw ClientError("store_key_invalid", "The store key at \(path) is damaged.") }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        do {
            try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError("storage_error", "Cannot create the key folder for \(path): \(error.localizedDescription)")
        }
        guard fm.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ClientError("storage_error", "Cannot write the store key at \(path).")
        }
        return key
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
