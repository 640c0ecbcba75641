import Crypto
import FieldSyncProtocol
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The secret the audit chain is keyed with (HMAC-SHA256), and the first entry it keys.
///
/// Kept in a file outside the database (``AuditKeyFile``): someone who can write the database
/// but not the key cannot recompute a rewritten chain. Entries before `keyedFrom` were written
/// before the key existed and keep their plain SHA-256 hashes; the switch point lives in the key
/// file, so a rewrite cannot move it.
final class AuditKey: Sendable {
    /// The first entry id hashed with the key.
    let keyedFrom: Int64
    /// A short public fingerprint of the key (not the key): names it in messages and anchors.
    let fingerprint: String
    private let bytes: [UInt8]
    /// An HMAC with the key already taken in: each entry copies it (value semantics; the hash
    /// state underneath is copied on write) rather than set the key up again.
    nonisolated(unsafe) private let keyed: HMAC<SHA256>

    init(bytes: [UInt8], keyedFrom: Int64) {
        self.bytes = bytes
        self.keyedFrom = keyedFrom
        fingerprint = Hex.string(SHA256.hash(data: Data("fieldsync-audit-key|".utf8) + bytes).prefix(8))
        keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    static func generate(keyedFrom: Int64) -> AuditKey {
        AuditKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }, keyedFrom: keyedFrom)
    }

    var base64: String { Data(bytes).base64EncodedString() }

    func mac(_ text: [UInt8]) -> String {
        var hmac = keyed
        hmac.update(data: text)
        return Hex.string(hmac.finalize())
    }
}

/// The audit key each open database connection uses, so ``AuditLog/row(_:at:head:in:)`` finds it
/// from the `Database` alone (its call sites pass nothing more). A connection is registered by
/// `prepareDatabase` before its first use, so a recycled connection address is always
/// re-registered. A connection opened some other way (its own queue on the same file) finds the
/// key by the database file's path.
enum AuditKeyring {
    /// One database's key, filled once it is loaded or made (after the pool opens).
    final class Holder: Sendable {
        private let state = Mutex<AuditKey?>(nil)
        var key: AuditKey? { state.withLock { $0 } }
        func set(_ key: AuditKey?) { state.withLock { $0 = key } }
    }

    private struct Registry {
        var connections: [ObjectIdentifier: Holder] = [:]
        var files: [String: Holder] = [:]
    }

    private static let registry = Mutex(Registry())

    static func register(_ db: Database, _ holder: Holder) {
        let file = fileName(db)
        registry.withLock {
            $0.connections[ObjectIdentifier(db)] = holder
            if let file { $0.files[file] = holder }
        }
    }

    static func key(for db: Database) -> AuditKey? {
        if let holder = registry.withLock({ $0.connections[ObjectIdentifier(db)] }) { return holder.key }
        guard let file = fileName(db) else { return nil }
        return registry.withLock { $0.files[file] }?.key
    }

    /// The main database file's absolute path, as SQLite names it.
    private static func fileName(_ db: Database) -> String? {
        guard let name = sqlite3_db_filename(db.sqliteConnection, "main") else { return nil }
        let path = String(cString: name)
        return path.isEmpty ? nil : URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}

/// An audit key problem, for the operator.
struct AuditKeyError: Error, CustomStringConvertible {
    let code: String
    let message: String
    var description: String { message }
}

/// The key file: JSON with the key, the first entry it keys and when it was made; 0600, in a
/// folder that is not world-readable. By default `audit.key` beside the database in the data
/// folder; `--audit-key-file` or `FIELDSYNC_AUDIT_KEY_FILE` moves it (somewhere a copy of the data
/// folder does not reach).
public struct AuditKeyFile: Sendable {
    public let path: String

    public static let defaultName = "audit.key"
    public static let environmentVariable = "FIELDSYNC_AUDIT_KEY_FILE"

    public init(path: String) { self.path = path }

    /// The option if given, else the environment variable, else `audit.key` in the data folder.
    public static func resolve(option: String?, dataDirectory: String) -> AuditKeyFile {
        if let option, !option.isEmpty { return AuditKeyFile(path: option) }
        if let env = ProcessInfo.processInfo.environment[environmentVariable], !env.isEmpty { return AuditKeyFile(path: env) }
        return AuditKeyFile(path: (dataDirectory as NSString).appendingPathComponent(defaultName))
    }

    struct Contents: Codable {
        var format = "fieldsync-audit-key"
        var version = 1
        var key: String
        var keyedFrom: Int64
        var createdAt: String
    }

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads the key; tightens the file to 0600 if it was left readable by others.
    func load() throws(AuditKeyError) -> AuditKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditKeyError(
                code: "audit_key_unreadable", message: "The audit key file \(path) cannot be read (check its owner and permissions).")
        }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: data), contents.format == "fieldsync-audit-key",
            contents.version == 1, let bytes = Data(base64Encoded: contents.key), bytes.count == 32, contents.keyedFrom >= 1
        else {
            throw AuditKeyError(
                code: "audit_key_invalid",
                message:
                    "The audit key file \(path) is damaged or is not a FieldSync audit key. Restore it from your backup; do not delete it (the audit trail cannot be checked without it)."
            )
        }
        if let mode = try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, mode & 0o077 != 0 {
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        return AuditKey(bytes: Array(bytes), keyedFrom: contents.keyedFrom)
    }

    /// Writes a new key file, never over an existing one: written to a private temporary file,
    /// synced, then linked into place (which fails if the name exists).
    func create(_ key: AuditKey) throws(AuditKeyError) {
        let fm = FileManager.default
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !fm.fileExists(atPath: folder) {
            do { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw AuditKeyError(
                    code: "audit_key_unwritable",
                    message: "Cannot create the folder \(folder) for the audit key: \(error.localizedDescription)")
            }
        }
        let contents = Contents(key: key.base64, keyedFrom: key.keyedFrom, createdAt: WireTime.now())
        guard let data = try? JSONEncoder().encode(contents) else {
            throw AuditKeyError(code: "audit_key_unwritable", message: "The audit key could not be encoded.")
        }
        do { try PrivateFile.createNew(at: path, contents: data) } catch {
            throw AuditKeyError(code: "audit_key_unwritable", message: "Cannot write the audit key file \(path): \(error.reason).")
        }
    }
}
