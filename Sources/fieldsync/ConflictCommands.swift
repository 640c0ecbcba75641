import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

struct ConflictsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "conflicts", abstract: "List open conflicts on this device's records.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "Only this record (id or unique prefix).") var record: String?
    @Flag(help: "A team manager's queue: every open conflict in the team's records, oldest first.") var team = false

    func run() throws {
        let device = try options.device()
        var asOf: String?
        if team {
            let status = try options.run { () throws(ClientError) in try device.status() }
            guard status.role == Role.teamManager.rawValue else {
                throw options.fail(
                    ClientError(
                        "not_a_supervisor",
                        "--team lists a team's conflicts for a team manager; this device belongs to a \(status.role ?? "?") user."))
            }
            asOf = status.lastSync ?? "never"
        }
        let list = try options.run { () throws(ClientError) in
            var id: UUID?
            if let record { id = try device.resolveRecord(record).snapshot.id }
            return try device.conflicts(record: id)
        }
        // The queue is this device's copy of the team's records: say how fresh it is.
        let freshness = asOf.map { "The team's queue as of this device's last sync (\($0)); run fieldsync sync for the latest." }
        if options.json, let freshness, !options.quiet { FileHandle.standardError.write(Data((freshness + "\n").utf8)) }
        try options.emit(list) {
            let lines =
                list.isEmpty
                ? ["No open conflicts."]
                : list.map { c in
                    "\(c.id.uuidString.lowercased())  record \(c.record.uuidString.lowercased())  \(c.field)  held from \(c.heldBy.user) (\(c.openedAt))"
                }
            return (lines + (freshness.map { [$0] } ?? [])).joined(separator: "\n")
        }
    }
}

struct ConflictCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflict", abstract: "Show or resolve one conflict.", subcommands: [ShowConflict.self, Resolve.self])

    struct ShowConflict: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show every side of a conflict.")
        @OptionGroup var options: DeviceOptions
        @Argument(help: "The conflict id (or a unique prefix).") var conflict: String

        func run() throws {
            let device = try options.device()
            let found = try options.run { () throws(ClientError) in try findConflict(conflict, device) }
            try options.emit(found) { RecordPrinter.describe(found) }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a conflict: --keep mine|theirs (or current|held), or --value VALUE|@path.",
            discussion:
                "'mine' is the side written by this device's user; 'theirs' the other. 'current' stays as the record shows; 'held' takes the held value."
        )
        @OptionGroup var options: DeviceOptions
        @Argument(help: "The conflict id (or a unique prefix).") var conflict: String
        @Option(help: "mine, theirs, current or held.") var keep: String?
        @Option(help: "A new value (typed like the field; @path reads a file, @- stdin, @@ a leading @).") var value: String?

        func validate() throws {
            if (keep == nil) == (value == nil) { throw ValidationError("Give either --keep mine|theirs|current|held or --value VALUE.") }
            if let keep, !["mine", "theirs", "current", "held"].contains(keep.lowercased()) {
                throw ValidationError("--keep takes mine, theirs, current or held, not '\(keep)'.")
            }
        }

        func run() throws {
            let device = try options.device()
            let record = try options.run { () throws(ClientError) in
                let found = try findConflict(conflict, device)
                let me = try device.status().user
                if let value {
                    let text = try FieldAssignments.literalOrInput(value, readInput: readInput)
                    let parsed = try conflictValue(text, conflict: found, device: device)
                    return try device.resolve(conflict: found.id, choice: .value, value: parsed)
                }
                let choice: ResolutionChoice
                switch keep!.lowercased() {
                case "current": choice = .current
                case "held": choice = .held
                case "mine": choice = found.heldBy.user == me ? .held : .current
                default: choice = found.heldBy.user == me ? .current : .held
                }
                return try device.resolve(conflict: found.id, choice: choice)
            }
            try options.confirm(LocalRecord(snapshot: record, pending: true)) {
                "Resolved on this device; it will be sent on the next sync."
            }
        }

        /// Types the value by the conflicting field's kind (a list member's kind for item paths).
        func conflictValue(_ text: String, conflict: Conflict, device: FieldSyncDevice) throws(ClientError) -> JSONValue {
            let record = try device.resolveRecord(conflict.record.uuidString)
            let name = String(conflict.field.prefix { $0 != "[" && $0 != "." })
            guard let spec = record.snapshot.kind.schema.field(name) else {
                return try FieldAssignments.value(text, for: .text(maxLength: 100_000), name: conflict.field)
            }
            if case .list(let list) = spec.kind, let dot = conflict.field.lastIndex(of: "."), conflict.field.contains("]") {
                let member = String(conflict.field[conflict.field.index(after: dot)...])
                if let memberKind = list.itemFields[member] {
                    return try FieldAssignments.value(text, for: memberKind, name: conflict.field)
                }
            }
            return try FieldAssignments.value(text, for: spec.kind, name: conflict.field)
        }
    }
}

func findConflict(_ text: String, _ device: FieldSyncDevice) throws(ClientError) -> Conflict {
    let matches = try device.conflicts().filter { $0.id.uuidString.lowercased().hasPrefix(text.lowercased()) }
    guard matches.count == 1 else {
        throw ClientError(
            matches.isEmpty ? "conflict_not_found" : "ambiguous_conflict_id",
            matches.isEmpty
                ? "There is no open conflict \(text) on this device. List them with: fieldsync conflicts"
                : "'\(text)' matches \(matches.count) conflicts; give more of the id.")
    }
    return matches[0]
}
