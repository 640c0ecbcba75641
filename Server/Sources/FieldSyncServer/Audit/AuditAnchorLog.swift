import FieldSyncProtocol
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Writes an audit anchor (``AuditAnchor``: entry count and newest hash) to the server's log when
/// the server starts and then every `interval`, so a log shipped off the machine holds anchors an
/// operator can check the trail against (`admin audit --verify --anchor FILE`, the logged JSON
/// saved as FILE). Read-only: it never takes the writer.
struct AuditAnchorLog: Service {
    let database: ServerDatabase
    let logger: Logger
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            // Bounded by the server's life: cancelled on shutdown.
            while !Task.isCancelled {
                log()
                try await Task.sleep(for: interval)
            }
        }
    }

    func log() {
        let fingerprint = database.auditKey.key?.fingerprint
        do {
            guard
                let row = try database.pool.read({ db in
                    try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                })
            else { return }
            let anchor = AuditAnchor(entries: row["id"], head: row["hash"], takenAt: WireTime.now(), key: fingerprint)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(anchor), as: UTF8.self)
            logger.notice("audit anchor \(json)")
        } catch {
            logger.warning("The audit anchor could not be read: \(error)")
        }
    }
}
