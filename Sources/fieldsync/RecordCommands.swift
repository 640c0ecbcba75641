import ArgumentParser
import FieldSyncClient
import FieldSyncProtocol
import Foundation

/// `fieldsync visit new` and `fieldsync pep new` share this.
struct NewRecord: ParsableArguments {
    @OptionGroup var options: DeviceOptions
    @Option(help: "The young person's id (a UUID).") var youngPerson: String
    @Option(help: "The first state (visits: DRAFT or SCHEDULED; PEPs: INITIATED or DRAFTING).") var state: String?
    @Argument(help: "FIELD=VALUE pairs; FIELD=@path reads a file, FIELD=@- stdin, FIELD=@@text is '@text'. See: fieldsync fields.")
    var assignments: [String] = []

    func run(kind: RecordKind) throws {
        let yp = try parseUUID(youngPerson, what: "--young-person")
        let device = try options.device()
        let record = try options.run { () throws(ClientError) in
            let fields = try FieldAssignments.apply(assignments, kind: kind, to: [:], readInput: readInput)
            return try device.create(kind: kind, youngPerson: yp, state: state?.uppercased(), fields: fields)
        }
        try options.emit(LocalRecord(snapshot: record, pending: true)) { record.id.uuidString.lowercased() }
    }
}

struct VisitCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "visit", abstract: "Visit records.", subcommands: [New.self])
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a visit record (prints its id).")
        @OptionGroup var record: NewRecord
        func run() throws { try record.run(kind: .visit) }
    }
}

struct PepCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pep", abstract: "PEP drafts.", subcommands: [New.self])
    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a PEP draft (prints its id).")
        @OptionGroup var record: NewRecord
        func run() throws { try record.run(kind: .pep) }
    }
}

struct SetFields: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set fields of a record.",
        discussion: """
            FIELD=VALUE sets a field (empty VALUE clears it); FIELD=@path and FIELD=@- read the value from a file or stdin.
            Object members: setting.name=VALUE. List items: actions+='{"description":"…"}' adds one,
            actions[ITEM_ID].status=DONE edits one, actions-=ITEM_ID removes one.
            A value starting with @ is read from a file; write @@ for a value that starts with a literal @.
            Every field, its kind and the values it allows: fieldsync fields visit (or pep).
            """)
    @OptionGroup var options: DeviceOptions
    @Argument(help: "The record id (or a unique prefix).") var record: String
    @Argument(help: "FIELD=VALUE pairs (fieldsync fields lists them).") var assignments: [String]

    func validate() throws {
        if assignments.isEmpty { throw ValidationError("Give at least one FIELD=VALUE.") }
    }

    func run() throws {
        let device = try options.device()
        let updated = try options.run { () throws(ClientError) in
            let current = try device.resolveRecord(record).snapshot
            let fields = try FieldAssignments.apply(assignments, kind: current.kind, to: current.fields, readInput: readInput)
            return try device.update(record: current.id, fields: fields)
        }
        try options.confirmEdit(updated, on: device) { "Saved on this device; it will be sent on the next sync." }
    }
}

struct Transition: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move a record to another state (e.g. COMPLETED, SUBMITTED).")
    @OptionGroup var options: DeviceOptions
    @Argument(help: "The record id (or a unique prefix).") var record: String
    @Argument(help: "The state to move to.") var state: String
    @Option(help: "The reason (needed to return a record).") var reason: String?

    func run() throws {
        let device = try options.device()
        let updated = try options.run { () throws(ClientError) in
            let current = try device.resolveRecord(record).snapshot
            return try device.transition(record: current.id, to: state.uppercased(), reason: reason)
        }
        try options.confirmEdit(updated, on: device) {
            "Now \(updated.state) on this device; it will be sent on the next sync."
        }
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Discard a draft (a tombstone: history keeps it).")
    @OptionGroup var options: DeviceOptions
    @Argument(help: "The record id (or a unique prefix).") var record: String

    func run() throws {
        let device = try options.device()
        let updated = try options.run { () throws(ClientError) in
            try device.delete(record: device.resolveRecord(record).snapshot.id)
        }
        try options.confirmEdit(updated, on: device) { "Deleted on this device; it will be sent on the next sync." }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a record as this device holds it; fields in conflict are marked. One retention let go is fetched from the server.")
    @OptionGroup var options: DeviceOptions
    @Argument(help: "The record id (or a unique prefix).") var record: String

    func run() async throws {
        let device = try options.device()
        let found = try await options.run { () async throws(ClientError) in try await device.findOrFetchRecord(record) }
        try options.emit(found) { RecordPrinter.describe(found) }
    }
}

struct ListRecords: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the records on this device.")
    @OptionGroup var options: DeviceOptions
    @Option(help: "Only this kind: visit or pep.") var kind: RecordKind?

    func run() throws {
        let device = try options.device()
        let (records, onServer) = try options.run { () throws(ClientError) in
            (try device.records(kind: kind), try device.recordsOnServer().filter { kind == nil || $0.kind == kind })
        }
        try options.emit(records) {
            var lines = records.isEmpty ? ["No records on this device."] : records.map(RecordPrinter.line)
            if !onServer.isEmpty {
                lines.append(
                    "\(onServer.count) authorised or finalised record(s) left this device after the retention period; fieldsync show ID fetches one:"
                )
                lines += onServer.map { "  \($0.id.uuidString.lowercased())  \($0.kind.rawValue)  left \($0.leftAt)" }
            }
            return lines.joined(separator: "\n")
        }
    }
}

extension RecordKind: ExpressibleByArgument {}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a record's versions (who, device, when, which fields) from the server.")
    @OptionGroup var options: DeviceOptions
    @Argument(help: "The record id (or a unique prefix).") var record: String

    func run() async throws {
        let device = try options.device()
        let page = try await options.run { () async throws(ClientError) in
            try await device.history(of: try device.resolveRecord(record).snapshot.id)
        }
        try options.emit(page) { RecordPrinter.describe(page) }
    }
}
