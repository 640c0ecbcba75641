import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Live sync: fieldsync watch and GET /v1/changes/watch")
struct LiveSyncTests {
    @Test("A watching device receives another device's change without running sync")
    func watchReceivesChange() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        // Polling every 10 minutes: only a poke can bring the change within the test.
        let watch = try Self.watching(bob)

        let id = try alice.newVisit(["purpose=Seen as it happens"])
        #expect(try alice.sync().applied == 1)
        let seen = try Self.eventually { try? bob.show(id) }
        #expect(seen?.fields["purpose"] == .string("Seen as it happens"))

        let out = try Self.stop(watch, SIGTERM)
        let lines = try Self.lines(out.stdout)
        #expect(lines.first?.trigger == "start")
        #expect(lines.contains { $0.trigger == "poke" && $0.sync.received >= 1 }, "\(out.stdout)")
    }

    @Test("A watch survives a server restart: it reconnects and receives the next change")
    func watchSurvivesRestart() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let watch = try Self.watching(bob)

        let port = world.server.port
        world.server.stop()
        // Graceful shutdown ends open watches, so the server exits by itself (not SIGKILLed).
        #expect(world.server.process?.terminationReason == .exit)
        try world.server.start(port: port)
        try Self.waitUntilConnected(watch, times: 2)

        let id = try alice.newVisit(["purpose=After the restart"])
        try alice.sync()
        let seen = try Self.eventually { try? bob.show(id) }
        #expect(seen?.fields["purpose"] == .string("After the restart"))
        let out = try Self.stop(watch, SIGINT)
        #expect(try Self.lines(out.stdout).contains { $0.trigger == "poke" && $0.sync.received >= 1 }, "\(out.stdout)")
    }

    @Test("A young person allocated to a watching device arrives without a sync: the heartbeat sees the new scope")
    func allocationReachesWatcher() throws {
        let world = try TestWorld(serverArguments: ["--watch-heartbeat-seconds", "1"])
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let newcomer = UUID()
        try world.allocate(newcomer, to: "alice")
        let id = try alice.newVisit(youngPerson: newcomer, ["purpose=Before bob joined"])
        try alice.sync()
        let watch = try Self.watching(bob)
        #expect(throws: (any Error).self) { try bob.show(id) }

        try world.allocate(newcomer, to: "bob", role: "co")
        let seen = try Self.eventually { try? bob.show(id) }
        #expect(seen?.fields["purpose"] == .string("Before bob joined"))
        let out = try Self.stop(watch, SIGTERM)
        #expect(try Self.lines(out.stdout).contains { $0.trigger == "poke" && $0.sync.received >= 1 }, "\(out.stdout)")
    }

    @Test("A revoked device's watch ends with exit 77 and its store erased")
    func revokedWatchWipes() throws {
        // Each heartbeat checks the token: a revocation is noticed within a second here.
        let world = try TestWorld(serverArguments: ["--watch-heartbeat-seconds", "1"])
        let alice = try world.device("alice")
        _ = try alice.newVisit(["purpose=On a lost laptop"])
        let watch = try Self.watching(alice, json: false)
        let deviceId = try #require(try alice.json(StatusWithDevice.self, ["status"]).device)
        #expect(try world.admin(["device", "revoke", "--device", deviceId]).succeeded)

        let out = try watch.wait(timeout: 120)
        #expect(out.status == 77, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains("[device_revoked]"))
        let status = try alice.json(StatusWithDevice.self, ["status"])
        #expect(status.device == nil && status.records == 0)
    }

    @Test("watch's exit codes: 2 for a bad option, 1 when the server refuses the device, 75 when stopped while unreachable")
    func exitCodes() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        #expect(try alice.run(["watch", "--poll-seconds", "0"]).status == 2)

        // A sign-in that lapses at once: the watch's first sync meets token_expired.
        let ticket = try world.admin(["device", "enrol", "--user", "alice", "--token-lifetime-seconds", "1", "--json"]).stdout
        let code = try #require(try JSONDecoder().decode([String: String].self, from: Data(ticket.utf8))["code"])
        let lapsed = Device(
            store: world.root.appendingPathComponent("lapsed.sqlite").path, keyDirectory: world.keyDirectory, youngPerson: world.youngPerson
        )
        #expect(try lapsed.run(["enrol", "--server", world.server.url, "--code", code]).succeeded)
        usleep(1_500_000)
        let refused = try lapsed.run(["watch", "--for-seconds", "60"])
        #expect(refused.status == 1 && refused.stderr.contains("[token_expired]"), "\(refused.stderr)")

        world.server.stop()
        _ = try alice.newVisit(["purpose=Kept while the server is away"])
        let away = try alice.run(["watch", "--for-seconds", "2", "--poll-seconds", "1"])
        #expect(away.status == 75, "\(away.stdout)\(away.stderr)")
        #expect(try alice.status().unsent == 1)
    }

    @Test("Edits another fieldsync process makes to the watching device's store are sent without a sync")
    func otherProcessEditsArePushed() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let watch = try Self.watching(bob)

        let id = try bob.newVisit(["purpose=Written while watching"])
        #expect(try bob.run(["set", id.uuidString, "analysis=Settled."]).succeeded)
        let received = try Self.eventually { () -> RecordSnapshot? in
            _ = try? alice.sync()
            return (try? alice.show(id)).flatMap { $0.fields["analysis"] == nil ? nil : $0 }
        }
        #expect(received?.fields["purpose"] == .string("Written while watching"))
        #expect(received?.fields["analysis"] == .string("Settled."))
        #expect(try Self.eventually { try bob.status().unsent == 0 ? true : nil } == true)

        let out = try Self.stop(watch, SIGTERM)
        #expect(try Self.lines(out.stdout).contains { $0.trigger == "local-edit" && $0.sync.sent >= 1 }, "\(out.stdout)")
    }

    @Test("Refused a watch (the server's bound is reached), fieldsync watch says why and syncs by polling")
    func degradesToPolling() async throws {
        let world = try TestWorld(serverArguments: ["--max-watches", "1"])
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        // Another device holds the server's only watch.
        let holder = try await WireClient.enrolled(world, user: "holly")
        let held = try RawHTTP(port: world.server.port)
        held.sendAll(
            "GET /v1/changes/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nFieldSync-Protocol: 1\r\nAuthorization: Bearer \(holder.token ?? "")\r\n\r\n"
        )
        #expect(held.read(until: "event: ready") != nil)

        let watch = try bob.start(["watch", "--poll-seconds", "1", "--for-seconds", "300", "--json"])
        let degraded = try Self.eventually { watch.stderr.contains("too_many_watches") ? true : nil }
        #expect(degraded == true, "\(watch.stderr)")
        let id = try alice.newVisit(["purpose=Polled for"])
        try alice.sync()
        let seen = try Self.eventually { try? bob.show(id) }
        #expect(seen?.fields["purpose"] == .string("Polled for"))
        let out = try Self.stop(watch, SIGTERM)
        #expect(!out.stderr.contains("live sync connected"))
        #expect(try Self.lines(out.stdout).contains { $0.trigger == "poll" && $0.sync.received >= 1 }, "\(out.stdout)")
    }

    @Test("A watch through a link that cuts every answer part-way never crashes, and syncs once the link is good")
    func cutLink() throws {
        // Watches end every second, so the watch's own reconnections meet the cuts too.
        let world = try TestWorld(serverArguments: ["--watch-max-seconds", "1"])
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let alice = try world.device("alice")
        let bob = try world.device("bob", server: proxy.url)
        let watch = try bob.start(
            ["watch", "--poll-seconds", "1", "--for-seconds", "300", "--json"], environment: ["FIELDSYNC_TIMEOUT": "2"])
        try Self.waitUntilConnected(watch, times: 1)
        let id = try alice.newVisit(["purpose=Across a bad link"])
        // Each new connection (each watch's, each sync's) is cut after this many bytes of answer.
        for length in [0, 20, 60, 150, 300] {
            proxy.fault = .cutAnswer(after: length)
            if length == 150 { try alice.sync() }
            usleep(700_000)
            #expect(watch.isRunning, "cut at \(length): \(watch.stderr)")
        }
        proxy.fault = .none
        let seen = try Self.eventually { try? bob.show(id) }
        #expect(seen?.fields["purpose"] == .string("Across a bad link"), "\(watch.stdout)\(watch.stderr)")
        let out = try Self.stop(watch, SIGTERM)
        #expect(!out.stderr.contains("Fatal error"), "\(out.stdout)\(out.stderr)")
    }

    @Test("The watch endpoint: server-sent events, a poke for a change in scope, and a bounded number of watches per device")
    func watchEndpointOnTheWire() async throws {
        let world = try TestWorld(serverArguments: ["--watches-per-device", "2"])
        let watcher = try await WireClient.enrolled(world, user: "wanda")
        let pusher = try await WireClient.enrolled(world, user: "pete")
        let page = try await watcher.send("GET", "/v1/changes")
        let cursor = try JSONDecoder().decode(PullPage.self, from: page.body).cursor
        let token = try #require(watcher.token)

        func open(after: String) throws -> RawHTTP {
            let connection = try RawHTTP(port: world.server.port)
            connection.sendAll(
                "GET /v1/changes/watch?after=\(after) HTTP/1.1\r\nHost: 127.0.0.1\r\nFieldSync-Protocol: 1\r\n"
                    + "Authorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n")
            return connection
        }
        let first = try open(after: cursor)
        let head = try #require(first.read(until: "\r\n\r\n"))
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-type: text/event-stream"))
        #expect(first.read(until: "event: ready") != nil)
        let second = try open(after: cursor)
        #expect(second.read(until: "event: ready") != nil)

        let third = try open(after: cursor)
        let refused = try #require(third.readResponse())
        #expect(refused.status == 429 && refused.errorCode == "too_many_watches", "\(refused.text)")
        #expect(refused.header("retry-after") != nil)

        let changeSet = ChangeSet(
            id: UUID(), deviceSequence: 1, madeAt: WireTime.now(),
            operations: [.create(UUID(), kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": .string("Poke")])])
        #expect(try await pusher.push(changeSet).status == 200)
        let poke = try #require(first.read(until: "event: poke"), "the watch was not poked")
        #expect(!poke.contains("event: end"))
        #expect(first.read(until: "\n\n")?.contains(#"data: {"reason":"changes"}"#) == true)

        let unknown = try #require(try open(after: "not-a-cursor").readResponse())
        #expect(unknown.status == 400 && unknown.errorCode == "bad_cursor")
        let noVersion = try RawHTTP(port: world.server.port)
        noVersion.sendAll("GET /v1/changes/watch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n")
        #expect(noVersion.readResponse()?.errorCode == "unsupported_protocol_version")
    }

    // MARK: helpers

    /// `fieldsync watch` for `device`, polling only every 10 minutes (so what arrives within a
    /// test came by a poke), once it has said live sync is connected.
    static func watching(_ device: Device, json: Bool = true) throws -> RunningCommand {
        let watch = try device.start(["watch", "--poll-seconds", "600", "--for-seconds", "300"] + (json ? ["--json"] : []))
        try waitUntilConnected(watch, times: 1)
        return watch
    }

    /// Stops a watch with `signal`; it must exit 0.
    static func stop(_ watch: RunningCommand, _ signal: Int32) throws -> CommandOutput {
        watch.signal(signal)
        let out = try watch.wait(timeout: 60)
        #expect(out.status == 0, "\(out.stderr)")
        return out
    }

    /// One `watch --json` line.
    struct WatchLine: Decodable {
        let at: String
        let trigger: String
        let sync: SyncReportView
    }

    static func lines(_ stdout: String) throws -> [WatchLine] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(WatchLine.self, from: Data($0.utf8)) }
    }

    /// Waits (bounded) until the watch has said `times` times that live sync is connected.
    static func waitUntilConnected(_ watch: RunningCommand, times: Int) throws {
        let connected = try eventually(attempts: 600) { () -> Bool? in
            guard watch.isRunning else { return false }
            return watch.stderr.components(separatedBy: "live sync connected").count - 1 >= times ? true : nil
        }
        guard connected == true else { throw WorldError("the watch did not connect (\(times)): \(watch.stderr)") }
    }

    /// Tries `body` up to `attempts` times, 100 ms apart, until it gives a value.
    static func eventually<T>(attempts: Int = 300, _ body: () throws -> T?) throws -> T? {
        for _ in 0..<attempts {
            if let value = try body() { return value }
            usleep(100_000)
        }
        return nil
    }
}
