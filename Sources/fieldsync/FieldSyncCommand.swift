import ArgumentParser
import FieldSyncProtocol

@main
struct FieldSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldsync",
        abstract: "The FieldSync device client: write visit records and PEP drafts offline, sync when you can.",
        discussion: "Every command takes --store PATH (the device's local store) and --json (one JSON document on stdout).",
        version: FieldSyncVersion.current,
        subcommands: [
            Enrol.self, VisitCommands.self, PepCommands.self, SetFields.self, Transition.self, Delete.self, Show.self, ListRecords.self,
            Sync.self, Status.self, Retire.self, History.self, ConflictsList.self, ConflictCommands.self, Verdicts.self, Export.self, Report.self,
        ])
}
