import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldsync-bench",
        abstract: "Runs the standard FieldSync workload (W1 push, W2 pull, W3 conflicts) against a real fieldsync-server on loopback.",
        discussion: """
            Each run starts a fresh server on a temporary data folder (127.0.0.1, port 0), sets up users and \
            devices with the admin CLI, enrols each device over HTTP, runs the workloads, then stops the \
            server by its pid and deletes the folder. Exits non-zero when any verification fails.
            """)

    @Option(help: "How many runs (figures are given per run and as median, min and max).")
    var runs = 3

    @Option(
        help: ArgumentHelp(
            "Which workloads to report, comma-separated: w1,w2,w3,w4,w5,live. W1 always runs, as the data the others use.",
            discussion:
                "w4 (not in the default) loads the store to --w4-records through the API and repeats W2's incremental pull on it; at a million records it takes several minutes and about 5 GB of disk. w5 (not in the default: 250 more users and devices to set up) pushes W1 again from fresh devices while 200 other devices pull in a loop, and compares with W1 alone. live (not in the default: 101 more users and devices) measures live sync: 100 devices watch while one pushes a record at a time; from each acknowledged push to each watcher holding the record."
        ))
    var workloads = "w1,w2,w3"

    @Option(help: "W4: how many records the store holds before its incremental pull.")
    var w4Records = 1_000_000

    @Option(help: "How many W1 devices (W3 edits 20 records of each).")
    var devices = 50

    @Option(help: "W5: milliseconds each puller waits between its pulls (0: pull again straight away).")
    var w5PauseMs = 0

    @Option(help: "W5 and all: whether the server's reads wait for their audit entry: deferred (its default) or strict.")
    var readAudit: String?

    @Option(
        help: ArgumentHelp(
            "How devices talk HTTP: urlsession or socket.",
            discussion:
                "urlsession is what the FieldSync client uses; on Linux it spins while it waits for the answer to a POST, taking CPU from the server. socket is a minimal blocking HTTP/1.1 client that costs nothing while it waits."
        ))
    var transport: TransportKind = .urlsession

    @Flag(help: "Devices' pulls send Accept-Encoding: gzip (W2 then reports the bytes on the wire and the time to inflate them).")
    var acceptGzip = false

    @Option(
        help: ArgumentHelp(
            "The server's request observation: default, full or off.",
            discussion:
                "default runs serve as it is (access log on, no metrics); full adds a metrics listener (--metrics-port 0); off turns the access log off (--access-log off). For measuring their cost on W1."
        ))
    var observability: Observability = .default

    @Flag(help: "Print one JSON document instead of the table.")
    var json = false

    @Option(help: "The fieldsync-server executable (default: the one next to this executable).")
    var serverBinary: String?

    func validate() throws {
        guard (1...20).contains(runs) else { throw ValidationError("--runs must be from 1 to 20.") }
        guard (1...1_000).contains(devices) else { throw ValidationError("--devices must be from 1 to 1000.") }
        guard (20_000...10_000_000).contains(w4Records) else { throw ValidationError("--w4-records must be from 20,000 to 10,000,000.") }
        guard (0...10_000).contains(w5PauseMs) else { throw ValidationError("--w5-pause-ms must be from 0 to 10,000.") }
        guard readAudit == nil || ["deferred", "strict"].contains(readAudit!) else {
            throw ValidationError("--read-audit is deferred or strict.")
        }
        _ = try parsedWorkloads()
    }

    func parsedWorkloads() throws -> Set<Workload> {
        var chosen: Set<Workload> = []
        for part in workloads.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let workload = Workload(rawValue: name) else {
                throw ValidationError("'\(name)' is not a workload; use w1, w2, w3, w4, w5 and/or live.")
            }
            chosen.insert(workload)
        }
        guard !chosen.isEmpty else { throw ValidationError("--workloads names no workload.") }
        return chosen
    }

    func run() async throws {
        // libcurl honours proxy variables; loopback must never go through a proxy.
        setenv("no_proxy", "127.0.0.1,localhost", 1)
        setenv("NO_PROXY", "127.0.0.1,localhost", 1)

        let binary = serverBinary ?? Self.siblingServerBinary()
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("No executable fieldsync-server at \(binary); build it or pass --server-binary PATH.")
        }
        var plan = RunPlan(serverBinary: binary, devices: devices, workloads: try parsedWorkloads(), transport: transport)
        plan.w4Records = w4Records
        plan.w5PauseMilliseconds = w5PauseMs
        if let readAudit { plan.serverArguments = ["--read-audit", readAudit] }
        plan.serverArguments += observability.serverArguments
        plan.acceptGzip = acceptGzip
        let start = MachineLoad.now()
        Progress.say("machine at start: \(start.line)")
        var reports: [RunReport] = []
        for index in 1...runs {
            Progress.say("run \(index) of \(runs)")
            reports.append(await BenchRun.run(index: index, plan: plan))
        }
        let end = MachineLoad.now()
        Progress.say("machine at end: \(end.line)")

        if json {
            print(try JSONReport(plan: plan, runs: runs, reports: reports, start: start, end: end).encoded())
        } else {
            print(TextReport.render(plan: plan, runs: runs, reports: reports, start: start, end: end))
        }
        if !reports.allSatisfy(\.passed) { throw ExitCode.failure }
    }

    /// `fieldsync-server` in the folder this executable was run from.
    static func siblingServerBinary() -> String {
        let me =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("fieldsync-server").path
    }
}

extension TransportKind: ExpressibleByArgument {}

/// How much request observation the benchmarked server does (`--observability`).
enum Observability: String, CaseIterable, ExpressibleByArgument {
    case `default`, full, off

    var serverArguments: [String] {
        switch self {
        case .default: return []
        case .full: return ["--metrics-port", "0"]
        case .off: return ["--access-log", "off"]
        }
    }
}
