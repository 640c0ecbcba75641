import ArgumentParser
import FieldSyncProtocol

@main
struct FieldSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldsync",
        abstract: "The FieldSync device client: write visit records and PEP drafts offline, sync when you can.",
        discussion: """
            Every command takes --store PATH (the device's local store), --json (one JSON document on stdout) and --quiet,
            before or after the subcommand. Exit codes: 0 done, 1 refused or failed, 2 usage, 75 server unreachable
            (try again later; everything is kept), 77 device revoked and its local store erased.
            """,
        version: FieldSyncVersion.current,
        subcommands: [
            Enrol.self, VisitCommands.self, PepCommands.self, SetFields.self, Transition.self, Delete.self, Show.self, ListRecords.self,
            Sync.self, WatchCommand.self, Status.self, Retire.self, History.self, ConflictsList.self, ConflictCommands.self, Verdicts.self,
            Export.self,
            Report.self,
            Fields.self,
        ])
}
