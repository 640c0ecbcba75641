import FieldSyncProtocol
import Foundation

/// The workloads this executable implements.
enum Workload: String, CaseIterable, Sendable, Codable {
    case w1, w2, w3, w4, w5, live
}

/// What every run does.
struct RunPlan: Sendable {
    let serverBinary: String
    let devices: Int
    let workloads: Set<Workload>
    let transport: TransportKind
    /// W4: how many records the store holds before its incremental pull.
    var w4Records = 1_000_000
    /// W5: how long each puller waits between its pulls (0: straight away).
    var w5PauseMilliseconds = 0
    /// More `fieldsync-server serve` options.
    var serverArguments: [String] = []
    /// Whether devices' pulls ask for gzip.
    var acceptGzip = false
}

/// What one run found, or the error that stopped it.
struct RunReport: Sendable {
    let index: Int
    var findings = Findings()
    var error: String?
    /// Other processes that used CPU during the run (the noise).
    var busiest: [ProcessCensus.Entry] = []

    var passed: Bool { error == nil && findings.checks.allSatisfy(\.passed) }
}

/// One run: a fresh data folder and server, users and devices set up through the admin CLI and
/// `/v1/enrol`, the workloads, then the server stopped by pid and the folder deleted.
enum BenchRun {
    static func run(index: Int, plan: RunPlan) async -> RunReport {
        var report = RunReport(index: index)
        let census = ProcessCensus.take()
        let runStart = ContinuousClock.now
        let machineBefore = CPUAccounting.machineBusySeconds()
        let ownBefore = CPUAccounting.ownAndChildrenSeconds()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent(
                "fieldsync-bench-\(ProcessInfo.processInfo.processIdentifier)-run\(index)-\(UUID().uuidString.prefix(8))")
        let server = ServerProcess(
            binary: plan.serverBinary, dataDirectory: folder.appendingPathComponent("data").path, logDirectory: folder.path)
        server.extraArguments = plan.serverArguments
        var devices: [DeviceClient] = []
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try await Blocking.run { try server.start() }
            Progress.say("run \(index): server pid \(server.pid) on \(server.baseURL.absoluteString), data \(server.dataDirectory)")
            report.findings = try await workloads(plan: plan, server: server, devices: &devices)
            report.findings.check(
                "Server still running after the workloads", server.isRunning, server.isRunning ? "pid \(server.pid)" : server.errorTail())
        } catch {
            report.error = "\(error)"
            Progress.say("run \(index) failed: \(error)")
        }
        for device in devices { device.close() }
        let pid = server.pid
        await Blocking.stop(server)
        try? FileManager.default.removeItem(at: folder)
        // With the server stopped and reaped, its CPU time is in our children's time: whatever
        // else the machine did meanwhile was other processes.
        if let machineBefore, let ownBefore, let machineAfter = CPUAccounting.machineBusySeconds(),
            let ownAfter = CPUAccounting.ownAndChildrenSeconds()
        {
            let wall = Elapsed.seconds(since: runStart)
            let others = max(0, (machineAfter - machineBefore) - (ownAfter - ownBefore))
            let capacity = wall * Double(ProcessInfo.processInfo.activeProcessorCount)
            report.findings.add("run.othersCPU", "Run: CPU used by other processes", "s", others, decimals: 1)
            report.findings.add(
                "run.othersShare", "Run: other processes' share of all cores", "%", 100 * others / max(capacity, 1e-9), decimals: 0)
        }
        report.busiest = ProcessCensus.take().busiest(
            since: census, excluding: [ProcessInfo.processInfo.processIdentifier, pid])
        return report
    }

    /// Admin commands run side by side in this many lanes (SQLite serialises their writes).
    static let adminLanes = 3

    private static func workloads(plan: RunPlan, server: ServerProcess, devices: inout [DeviceClient]) async throws -> Findings {
        var findings = Findings()

        // Users and devices: one user per device, each device with its own token and connection.
        // W1's devices and W2's writer belong to personal advisers; W2's reader (and the device
        // that verifies W1) to team managers of the same team, whose scope covers the whole team's
        // records. W3's two devices are advisers who co-work every W1 young person: a team manager
        // writes the content only of visits they started (domain model 1.3), so managers' edits of
        // W1's visits would all be refused rather than race.
        let setupStart = ContinuousClock.now
        let w1Names = (0..<plan.devices).map { String(format: "bench-w1-%03d", $0 + 1) }
        // W5's pullers are advisers, each co-worker for one W1 young person.
        let w5Names = plan.workloads.contains(.w5) ? (0..<W5Mixed.pullers).map { String(format: "bench-w5-pull-%03d", $0 + 1) } : []
        // The live-sync workload's watchers are advisers, co-workers of the young person its pusher is key worker for.
        let liveNames =
            plan.workloads.contains(.live)
            ? ["bench-live-pusher"] + (0..<LiveSyncLatency.watchers).map { String(format: "bench-live-watch-%03d", $0 + 1) } : []
        let users: [(name: String, role: String)] =
            w1Names.map { ($0, "PA") } + [
                ("bench-w2-reader", "TM"), ("bench-w2-writer", "PA"), ("bench-w3-a", "PA"), ("bench-w3-b", "PA"),
                ("bench-verifier", "TM"),
            ] + w5Names.map { ($0, "PA") } + liveNames.map { ($0, "PA") }
        let admin = AdminCLI(
            binary: plan.serverBinary, dataDirectory: server.dataDirectory,
            scratchDirectory: URL(fileURLWithPath: server.dataDirectory).deletingLastPathComponent().path)
        try await Blocking.run { try admin.addTeam() }
        let codes = try await Blocking.inLanes(users, lanes: adminLanes) { user in
            try admin.addUser(name: user.name, role: user.role)
            return try admin.enrolDevice(user: user.name, deviceName: user.name)
        }
        // Where the server scopes access by allocation, each adviser is key worker for the young
        // people their records are about.
        if try await Blocking.run({ try admin.supportsAllocations() }) {
            var allocations: [(youngPerson: UUID, user: String)] = []
            for (index, name) in w1Names.enumerated() {
                allocations += VisitGenerator(seed: Seeds.seed(.w1Device, index)).caseload.map { ($0, name) }
            }
            allocations += VisitGenerator(seed: Seeds.seed(.w2Writer, 0)).caseload.map { ($0, "bench-w2-writer") }
            _ = try await Blocking.inLanes(allocations, lanes: adminLanes) {
                try admin.allocate(youngPerson: $0.youngPerson, user: $0.user)
            }
            let coWorkers = w5Names.enumerated().map { ($1, W5Mixed.youngPerson(puller: $0, devices: plan.devices).youngPerson) }
            let w1YoungPeople = Set(allocations.map(\.youngPerson)).sorted { $0.uuidString < $1.uuidString }
            let w3CoWorkers =
                plan.workloads.contains(.w3) ? ["bench-w3-a", "bench-w3-b"].flatMap { user in w1YoungPeople.map { (user, $0) } } : []
            if let pusher = liveNames.first {
                try await Blocking.run { try admin.allocate(youngPerson: LiveSyncLatency.youngPerson, user: pusher) }
            }
            let liveCoWorkers = liveNames.dropFirst().map { ($0, LiveSyncLatency.youngPerson) }
            _ = try await Blocking.inLanes(coWorkers + w3CoWorkers + liveCoWorkers, lanes: adminLanes) {
                try admin.allocate(youngPerson: $0.1, user: $0.0, role: "co")
            }
            findings.note(
                "Setup: the server scopes access by allocation; \(allocations.count) young people were allocated to their advisers.")
        }
        // W5 pushes from a second device of each W1 adviser (its change sets numbered from 1).
        let w5PushCodes =
            plan.workloads.contains(.w5)
            ? try await Blocking.inLanes(w1Names, lanes: adminLanes) { try admin.enrolDevice(user: $0, deviceName: "\($0)-w5") } : []
        for (user, code) in zip(users, codes) {
            devices.append(
                try await DeviceClient.enrol(
                    name: user.name, code: code, port: server.port, transport: plan.transport, acceptGzip: plan.acceptGzip))
        }
        var w5Pushers: [DeviceClient] = []
        for (name, code) in zip(w1Names, w5PushCodes) {
            w5Pushers.append(
                try await DeviceClient.enrol(
                    name: "\(name)-w5", code: code, port: server.port, transport: plan.transport, acceptGzip: plan.acceptGzip))
        }
        devices += w5Pushers
        let w5Pullers = Array(devices[(plan.devices + 5)..<(plan.devices + 5 + w5Names.count)])
        let liveDevices = Array(devices[(plan.devices + 5 + w5Names.count)..<(plan.devices + 5 + w5Names.count + liveNames.count)])
        let w1Devices = Array(devices.prefix(plan.devices))
        let reader = devices[plan.devices]
        let writer = devices[plan.devices + 1]
        let deviceA = devices[plan.devices + 2]
        let deviceB = devices[plan.devices + 3]
        let verifier = devices[plan.devices + 4]
        findings.add("run.setup", "Setup: admin CLI users/devices + HTTP enrolment", "s", Elapsed.seconds(since: setupStart), decimals: 2)

        // W1 always runs: it is the data W2 and W3 work on.
        Progress.say("W1: \(plan.devices) devices × \(W1Push.recordsPerDevice) creates")
        var w1 = try await W1Push.run(devices: w1Devices, server: server)
        try await W1Push.verify(&w1, puller: verifier)
        if plan.workloads.contains(.w1) {
            findings.append(w1.findings)
        } else {
            for check in w1.findings.checks { findings.check(check.name, check.passed, check.detail) }
        }
        guard plan.workloads.contains(.w2) || plan.workloads.contains(.w3) || plan.workloads.contains(.w4) else {
            if plan.workloads.contains(.w5) { findings.append(try await w5(plan, w1.findings, w5Pushers, w5Pullers, server)) }
            if plan.workloads.contains(.live) { findings.append(try await live(liveDevices, server)) }
            return finish(findings, server)
        }

        Progress.say("W2: full pull, push of 100, incremental pull")
        let expected = Set(w1.plans.flatMap { $0.drafts.map(\.id) })
        let w2 = try await W2Pull.run(
            reader: reader, writer: writer, server: server, expected: expected,
            report: plan.workloads.contains(.w2) || plan.workloads.contains(.w4))
        findings.append(w2.findings)

        if plan.workloads.contains(.w3) {
            Progress.say("W3: two devices, \(plan.devices * W3Conflicts.recordsPerW1Device) records each")
            findings.append(
                try await W3Conflicts.run(
                    a: deviceA, b: deviceB, reader: reader, readerCursor: w2.cursor, plans: w1.plans, snapshot: w2.snapshot,
                    server: server))
        }
        if plan.workloads.contains(.w5) { findings.append(try await w5(plan, w1.findings, w5Pushers, w5Pullers, server)) }
        if plan.workloads.contains(.live) { findings.append(try await live(liveDevices, server)) }
        if plan.workloads.contains(.w4) {
            findings.append(
                try await W4Scale.run(
                    devices: w1Devices, reader: reader, readerCursor: w2.cursor, writer: writer, server: server,
                    storedBefore: expected.count + W2Pull.extraRecords, totalRecords: plan.w4Records,
                    smallStoreIncremental: w2.findings.value(of: "w2.incHTTP")))
        }
        return finish(findings, server)
    }

    private static func w5(
        _ plan: RunPlan, _ w1: Findings, _ pushers: [DeviceClient], _ pullers: [DeviceClient], _ server: ServerProcess
    ) async throws -> Findings {
        Progress.say("W5: \(pushers.count) devices push as in W1 while \(pullers.count) devices pull in a loop")
        return try await W5Mixed.run(
            pushers: pushers, pullers: pullers, baseline: w1, server: server, pauseMilliseconds: plan.w5PauseMilliseconds)
    }

    private static func live(_ devices: [DeviceClient], _ server: ServerProcess) async throws -> Findings {
        Progress.say(
            "Live sync: \(LiveSyncLatency.watchers) devices watch while one pushes \(LiveSyncLatency.rounds) records, one at a time")
        return try await LiveSyncLatency.run(pusher: devices[0], watchers: Array(devices.dropFirst()), port: server.port)
    }

    private static func finish(_ findings: Findings, _ server: ServerProcess) -> Findings {
        var findings = findings
        if let stats = ProcessStats.read(pid: server.pid) {
            findings.add(
                "run.serverRSS", "Run: server peak RSS at the end", "MiB", Double(stats.peakResidentBytes) / 1_048_576, decimals: 1)
            findings.add("run.serverCPU", "Run: server CPU in all", "s", stats.cpuSeconds, decimals: 2)
        }
        return findings
    }
}

extension Blocking {
    static func stop(_ server: ServerProcess) async {
        _ = try? await run { server.stop() }
    }
}

/// Progress lines go to stderr, so stdout holds only the report (or the JSON document).
enum Progress {
    static func say(_ line: String) {
        FileHandle.standardError.write(Data("[fieldsync-bench] \(line)\n".utf8))
    }
}
