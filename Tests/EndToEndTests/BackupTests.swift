import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Online backup and restore")
struct BackupTests {
    /// The records each pushing device had acknowledged, in the order the server answered.
    actor Acknowledged {
        private(set) var records: [Int: [UUID]] = [:]
        private(set) var stopped = false
        func add(_ device: Int, _ id: UUID) { records[device, default: []].append(id) }
        func stop() { stopped = true }
        var total: Int { records.values.reduce(0) { $0 + $1.count } }
    }

    struct BackupView: Decodable {
        struct Verification: Decodable {
            let ok: Bool
            let integrity: String
            let auditEntriesChecked: Int
            let auditKeyed: Bool
            let headMatchesSource: Bool
            let problems: [String]
        }
        let to: String
        let auditEntries: Int64
        let records: Int
        let files: [String]
        let verification: Verification?
    }

    @Test(
        "A backup taken while four devices push holds every change set acknowledged before it started, passes --verify, and a server started on it serves them"
    )
    func backupWhileDevicesPush() async throws {
        let world = try TestWorld()
        var devices: [WireDevice] = []
        for n in 0..<4 { devices.append(try await WireDevice.enrolled(world, "pusher\(n)")) }
        let acknowledged = Acknowledged()
        let youngPerson = world.youngPerson
        let pushers = Task { [devices] in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, device) in devices.enumerated() {
                    group.addTask {
                        for _ in 0..<2_000 {
                            if await acknowledged.stopped { return }
                            let id = UUID()
                            let verdict = try await device.send(
                                .create(id, kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string("Pushed by device \(n)")]))
                            guard verdict.outcome == .applied else { throw WorldError("device \(n): \(verdict)") }
                            await acknowledged.add(n, id)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Every device has had change sets acknowledged before the backup starts.
        for _ in 0..<6_000 {
            if await acknowledged.records.values.filter({ $0.count >= 5 }).count == 4 { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let before = await acknowledged.records
        let beforeCount = await acknowledged.total
        #expect(before.count == 4 && before.values.allSatisfy { $0.count >= 5 }, "\(before.mapValues(\.count))")

        let backup = world.root.appendingPathComponent("backup").path
        let out = try await Self.offThePool { try world.admin(["backup", "--to", backup, "--verify", "--json"]) }
        let duringCount = await acknowledged.total
        await acknowledged.stop()
        try await pushers.value
        let final = await acknowledged.records

        #expect(out.succeeded, "\(out.stdout)\(out.stderr)")
        let report = try JSONDecoder().decode(BackupView.self, from: Data(out.stdout.utf8))
        let verification = try #require(report.verification)
        #expect(verification.ok && verification.integrity == "ok" && verification.headMatchesSource, "\(verification.problems)")
        #expect(verification.auditKeyed && verification.auditEntriesChecked == Int(report.auditEntries))
        #expect(report.files.contains("audit.key") && report.files.contains("fieldsync.sqlite"))
        #expect(duringCount > beforeCount, "the devices kept pushing while the backup ran (\(beforeCount) → \(duringCount))")
        #expect(AuditChainTests.mode(backup) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: backup) {
            #expect(AuditChainTests.mode(backup + "/" + name) == 0o600, "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: backup + "/serve.lock"))

        // Restore: a server on the copy, as it is, with the devices' existing tokens.
        world.server.stop()
        let restored = ServerProcess(dataDirectory: backup)
        try restored.start()
        defer { restored.stop() }
        let reader = WireClient(server: restored.url, token: devices[0].client.token)
        let held = Set(try await reader.pullAll().map(\.id))
        #expect(held.count == report.records)
        for n in 0..<4 {
            let acked = final[n] ?? []
            #expect(Set(before[n] ?? []).isSubset(of: held), "device \(n): every change set acknowledged before the backup is in it")
            // One consistent snapshot: of each device's change sets, the copy holds a prefix.
            let kept = acked.filter(held.contains)
            #expect(kept == Array(acked.prefix(kept.count)), "device \(n): the copy holds its first \(kept.count) change sets, in order")
        }
        // The restored server takes new writes: the next change set of a device that pushed on.
        var writer = WireClient(server: restored.url, token: devices[1].client.token)
        writer.protocolVersion = devices[1].client.protocolVersion
        let next = ChangeSet(
            deviceSequence: devices[1].sequence + 1,
            operations: [.create(UUID(), kind: .visit, youngPerson: youngPerson, fields: ["purpose": "After the restore"])])
        let answer = try await writer.push(next)
        #expect(answer.status == 200, "\(answer.text)")
        let audit = try ProcessRunner.run(Binaries.server, ["admin", "--data", backup, "audit", "--verify"])
        #expect(audit.succeeded && audit.stdout.contains("intact"), "\(audit.stdout)")
    }

    @Test("After a restore, a device whose cursor is past the backup's feed end misses nothing written on the restored server")
    func restoreSkipsNothing() async throws {
        let world = try TestWorld()
        let writer = try await WireDevice.enrolled(world, "writer")
        let reader = try await WireClient.enrolled(world, user: "reader")
        let youngPerson = world.youngPerson
        func create(_ purpose: String) -> ChangeOperation {
            .create(UUID(), kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string(purpose)])
        }
        try await writer.push([create("Before the backup")])
        let first = try await Self.pull(reader, after: "")  // its scope generation is in the backup
        #expect(first.records.count == 1)
        let backup = world.root.appendingPathComponent("backup").path
        #expect(try world.admin(["backup", "--to", backup]).succeeded)
        // Written after the backup, and pulled by the reader: its cursor is now past the copy's feed end.
        try await writer.push((0..<5).map { create("Lost with the restore \($0)") })
        var pulled = try await Self.pull(reader, after: first.cursor)
        #expect(pulled.records.count == 5)

        world.server.stop()
        let restored = ServerProcess(dataDirectory: backup)
        try restored.start()
        defer { restored.stop() }
        var writerAfter = WireClient(server: restored.url, token: writer.client.token)
        writerAfter.protocolVersion = writer.client.protocolVersion
        // More than were lost: the restored feed grows past the reader's cursor.
        let written = ChangeSet(deviceSequence: writer.sequence + 1, operations: (0..<6).map { create("Written after the restore \($0)") })
        #expect(try await writerAfter.push(written).status == 200)

        let readerAfter = WireClient(server: restored.url, token: reader.token)
        pulled = try await Self.pull(readerAfter, after: pulled.cursor)
        #expect(
            Set(pulled.records.compactMap { $0.fields["purpose"]?.stringValue }) == Set((0..<6).map { "Written after the restore \($0)" }),
            "every record written after the restore reaches the device")
    }

    /// Every page after `cursor`, and the last cursor.
    static func pull(_ client: WireClient, after cursor: String) async throws -> (records: [RecordSnapshot], cursor: String) {
        var cursor = cursor
        var records: [RecordSnapshot] = []
        for _ in 0..<100 {
            let answer = try await client.send("GET", "/v1/changes?after=\(cursor)&limit=1000")
            guard answer.status == 200 else { throw WorldError("pull failed: \(answer.text)") }
            let page = try JSONDecoder().decode(PullPage.self, from: answer.body)
            records += page.records
            cursor = page.cursor
            if !page.more { break }
        }
        return (records, cursor)
    }

    @Test("A backup goes only into a new or empty folder outside the data folder; a refused one writes nothing")
    func backupTargetIsChecked() throws {
        let world = try TestWorld()
        _ = try world.device("alice")
        let busy = world.root.appendingPathComponent("busy").path
        try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: busy + "/notes.txt"))
        let refused = try world.admin(["backup", "--to", busy, "--json"])
        #expect(refused.status == 1 && DeviceStoreTests.error(refused)?.code == "backup_target_not_empty", "\(refused.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: busy) == ["notes.txt"])
        let inside = try world.admin(["backup", "--to", world.server.dataDirectory + "/copy", "--json"])
        #expect(inside.status == 1 && DeviceStoreTests.error(inside)?.code == "backup_target_invalid", "\(inside.stdout)")
        #expect(!FileManager.default.fileExists(atPath: world.server.dataDirectory + "/copy"))

        // An empty folder is fine, and a text report says what was copied.
        let empty = world.root.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let taken = try world.admin(["backup", "--to", empty])
        #expect(
            taken.succeeded && taken.stdout.contains("Backed up") && taken.stdout.contains("audit.key"), "\(taken.stdout)\(taken.stderr)")
    }

    @Test("A backup of a store whose audit key lives elsewhere leaves the key out, says so, and verifies with that key")
    func keyOutsideIsNotCopied() throws {
        let world = try TestWorld(startServer: false)
        let keyFile = world.root.appendingPathComponent("secrets/audit.key").path
        try world.server.start(extraArguments: ["--audit-key-file", keyFile])
        let environment = ["FIELDSYNC_AUDIT_KEY_FILE": keyFile]
        let copy = world.root.appendingPathComponent("copy").path
        let out = try ProcessRunner.run(
            Binaries.server, ["admin", "--data", world.server.dataDirectory, "backup", "--to", copy, "--verify", "--json"],
            environment: environment)
        #expect(out.succeeded, "\(out.stdout)\(out.stderr)")
        struct Report: Decodable {
            let files: [String]
            let auditKeyOutside: String?
            let verification: BackupView.Verification?
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(out.stdout.utf8))
        #expect(report.auditKeyOutside == keyFile && !report.files.contains("audit.key"))
        #expect(report.verification?.ok == true && report.verification?.auditKeyed == true, "\(report.verification?.problems ?? [])")
        #expect(!FileManager.default.fileExists(atPath: copy + "/audit.key"))
        let text = try ProcessRunner.run(
            Binaries.server, ["admin", "--data", world.server.dataDirectory, "backup", "--to", copy + "-2"], environment: environment)
        #expect(text.stdout.contains("was not copied") && text.stdout.contains("--audit-key-file \(keyFile)"), "\(text.stdout)")
    }

    /// Runs blocking work (a child process) on its own thread, so the pushing tasks keep the pool.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
