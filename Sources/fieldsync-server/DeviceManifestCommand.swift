import ArgumentParser
import FieldSyncServer

extension DeviceCommands {
    /// `admin device manifest`: what a lost or revoked device could hold, for a breach assessment.
    struct Manifest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every young person and record (with its version) a device could hold, from its pull history.",
            discussion: """
                Worked out on the server: the records in the scope of the device's last pull, at the \
                versions it was sent, and the records it sent changes to; with its last contact, \
                revocation, whether it was told to wipe, the unsent changes it last reported, and the \
                views its user made on it that it uploaded (show, list, history, export).
                """)
        @OptionGroup var options: AdminOptions
        @Option(help: "The device id.") var device: String

        func run() throws {
            try options.report({ admin throws(AdminError) in try admin.deviceManifest(id: device) }) { m in
                var lines = [
                    "Device \(m.device)\(m.name.map { " (\($0))" } ?? "") of \(m.user) (\(m.role), team \(m.team))",
                    "  enrolled \(m.enrolledAt ?? "never"); last contact \(m.lastSeenAt ?? "never"); revoked \(m.revokedAt ?? "no")",
                    "  told to wipe: \(m.toldToWipeAt ?? (m.revokedAt == nil ? "no (not revoked)" : "not yet: no contact since revocation, so the data may still be on it"))",
                    "  last pull \(m.lastPullAt ?? "never")\(m.lastCursor.map { " (cursor \($0))" } ?? "")",
                    "  unsent changes last reported: \(m.unsentReported.map(String.init) ?? "unknown")"
                        + (m.oldestUnsentSecondsReported.map { ", oldest \($0) s" } ?? ""),
                    "Could hold \(m.records.count) record(s) of \(m.youngPeople.count) young person(s):",
                ]
                lines += m.records.map { "  \($0.youngPerson)\t\($0.kind)\t\($0.id)\tversion \($0.version)\t\($0.source)" }
                lines.append("Views its user made on it, uploaded: \(m.offlineViews.count)")
                lines += m.offlineViews.map {
                    "  \($0.deviceAt) (received \($0.receivedAt))\t\($0.view)\($0.destination.map { " to \($0)" } ?? "")\t\($0.youngPerson ?? "-")\t\($0.records.joined(separator: ","))"
                }
                lines += m.caveats.map { "Note: \($0)" }
                return lines.joined(separator: "\n")
            }
        }
    }
}
