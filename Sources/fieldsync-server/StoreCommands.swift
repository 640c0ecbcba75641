import ArgumentParser
import FieldSyncProtocol
import FieldSyncServer
import Foundation

/// `admin init`: the one admin command that makes a store (every other refuses a folder without one).
struct InitStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Make a new, empty FieldSync store in the data folder (refused if it holds one already).",
        discussion:
            "serve makes the store too when its folder has none; admin commands other than init never do, so a mistyped --data is refused rather than starting an empty store."
    )
    @OptionGroup var options: AdminOptions

    struct Created: Encodable {
        let data: String
        let database: String
        let auditKeyFile: String
        let version: String
    }

    func run() throws {
        let holdsStore: Bool
        do { holdsStore = try ServerDatabase.holdsStore(dataDirectory: options.data) } catch {
            throw AdminFailure(error: AdminError(error.code, error.message), json: options.json)
        }
        if holdsStore {
            throw AdminFailure(
                error: AdminError("store_exists", "\(options.data) holds a FieldSync store already; nothing was changed."),
                json: options.json)
        }
        let admin = try options.service(createStore: true)
        let created = Created(
            data: options.data, database: admin.database.path, auditKeyFile: admin.database.auditKeyFile.path,
            version: FieldSyncVersion.current)
        try options.emit(created) {
            "Made a new FieldSync store in \($0.data). Back up the audit key \($0.auditKeyFile): without it the audit trail cannot be checked."
        }
    }
}

/// `admin backup --to NEWDIR [--verify]`: an online copy of the data folder (``StoreBackup``).
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the data folder into a new folder, while the server runs: one consistent snapshot that serve --data runs as it is.",
        discussion: """
            Copies the database (SQLite's online backup, WAL content included), the audit key when it is in the data \
            folder, and the bank-holiday list, owner-only (0700 folder, 0600 files). With --verify, checks the copy: \
            SQLite's integrity check, the audit chain, and that the copy's newest audit entry is the source's at backup \
            time (exit 1 if not). See docs/operations.md for restoring.
            """)
    @OptionGroup var options: AdminOptions
    @Option(help: "The new folder for the copy: missing or empty, and outside the data folder.") var to: String
    @Flag(help: "Check the copy afterwards (integrity, audit chain, audit head against the source's).") var verify = false

    func run() throws {
        let admin = try options.service()
        var report: BackupReport
        do {
            report = try StoreBackup.take(from: admin.database, to: to)
            if verify { report.verification = try StoreBackup.verify(report, source: admin.database) }
        } catch { throw AdminFailure(error: error, json: options.json) }
        try options.emit(report, text: Self.describe)
        if let verification = report.verification, !verification.ok { throw ExitCode(1) }
    }

    static func describe(_ r: BackupReport) -> String {
        var lines = [
            "Backed up \(r.source) to \(r.to) at \(r.takenAt): \(r.records) records, \(r.changeSets) change sets, "
                + "audit trail to entry \(r.auditEntries) (\(r.auditHead.prefix(16))…); \(r.files.joined(separator: ", ")), \(r.bytes) bytes."
        ]
        if let key = r.auditKeyOutside {
            lines.append(
                "The audit key \(key) is outside the data folder and was not copied: back it up separately, and start the copy with --audit-key-file \(key)."
            )
        }
        if let v = r.verification {
            lines.append(
                v.ok
                    ? "Verified: integrity \(v.integrity); audit trail intact (\(v.auditEntriesChecked) entries checked\(v.auditKeyed ? " with the audit key" : "")); its newest entry, \(r.auditEntries), is the source's."
                    : "The copy FAILED verification: \(v.problems.joined(separator: "; ")).")
        }
        return lines.joined(separator: "\n")
    }
}
