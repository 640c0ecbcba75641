import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// The device over a link that breaks at any byte (a 4G link dropping in a stairwell): through
/// ``FaultProxy``, the real `fieldsync` never crashes, exits 75 with a sentence, keeps everything,
/// and the next good sync applies each change set exactly once.
@Suite("A connection broken at any byte of a request or an answer")
struct FaultInjectionTests {
    /// Every length up to 64 bytes (the status line and the first headers), then a stride
    /// through the rest of the headers and into the body.
    static let cutLengths = Array(0...64) + Array(stride(from: 80, through: 400, by: 16))
    /// A short request timeout, so a held answer fails fast.
    static let quick = ["FIELDSYNC_TIMEOUT": "1"]

    @Test("The server's answer to a push cut after every length from 0 to 400 bytes")
    func cutPushAnswers() async throws {
        // A cut after the whole exchange lets the sync finish (exit 0).
        try await Self.pushThrough(Self.cutLengths.map { .cutAnswer(after: $0) }, allowDone: true)
    }

    @Test("The server's answer to a pull cut after every length from 0 to 400 bytes")
    func cutPullAnswers() throws {
        let world = try TestWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let alice = try world.device("alice")
        let bob = try world.device("bob", server: proxy.url)
        let ids = try (0..<3).map { n in try alice.newVisit(["purpose=Pulled through a bad link \(n)"]) }
        try alice.sync()
        for length in Self.cutLengths {
            proxy.fault = .cutAnswer(after: length)
            try Self.expectSurvived(try bob.run(["sync"], environment: Self.quick), "pull answer cut at \(length)", allowDone: false)
            #expect(try bob.status().records == 0, "no part of a cut page is stored")
        }
        proxy.fault = .none
        let pulled = try bob.sync()
        #expect(pulled.reachable && pulled.received == ids.count)
        #expect(Set(try bob.list().map(\.snapshot.id)) == Set(ids))
    }

    @Test("The request cut part-way, the answer held past the timeout, the connection reset")
    func brokenRequestsDelaysAndResets() async throws {
        let faults: [FaultProxy.Fault] =
            stride(from: 0, through: 1_200, by: 60).map { .cutRequest(after: $0) } + [.delayAnswer(seconds: 3), .reset, .reset]
        try await Self.pushThrough(faults, allowDone: false)
    }

    /// A device with a new visit before each fault syncs through it; then a good sync sends
    /// what is left and each change set is applied once.
    static func pushThrough(_ faults: [FaultProxy.Fault], allowDone: Bool) async throws {
        let world = try TestWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let alice = try world.device("alice", server: proxy.url)
        let bob = try world.device("bob")
        var ids: [UUID] = []
        for (n, fault) in faults.enumerated() {
            ids.append(try alice.newVisit(["purpose=Sent through \(fault)"]))
            proxy.fault = fault
            let out = try alice.run(["sync"], environment: quick)
            try expectSurvived(out, "\(fault)", allowDone: allowDone)
            if case .delayAnswer = fault { #expect(out.stderr.contains("did not answer in time"), "\(out.stderr)") }
            if n % 8 == 0 { try expectKept(ids, on: alice) }
        }
        try expectKept(ids, on: alice)
        proxy.fault = .none
        try await expectAppliedOnce(ids, sender: alice, reader: bob, world: world)
    }

    @Test("An enrolment whose answer is cut says so with a code and a sentence, in text and in --json")
    func cutEnrolment() throws {
        let world = try TestWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        try world.addUser("alice")
        for length in [0, 20, 60, 150, 300] {
            proxy.fault = .cutAnswer(after: length)
            let device = Device(
                store: world.root.appendingPathComponent("cut-\(length).sqlite").path, keyDirectory: world.keyDirectory,
                youngPerson: world.youngPerson)
            let code = try world.enrolmentCode(for: "alice")
            let out = try device.run(["enrol", "--server", proxy.url, "--code", code, "--json"], environment: Self.quick)
            #expect(out.status == 75, "enrol cut at \(length): \(out.status) \(out.stdout)\(out.stderr)")
            struct Failure: Decodable {
                struct Detail: Decodable {
                    let code: String
                    let message: String
                }
                let error: Detail
            }
            let failure = try JSONDecoder().decode(Failure.self, from: Data(out.stdout.utf8))
            #expect(failure.error.code == "server_unreachable" && failure.error.message.contains("server at \(proxy.url)"), "\(out.stdout)")
        }
    }

    /// The CLI ended on its own with a documented exit: 75 and a sentence (or 0 when the cut
    /// came after the whole exchange, where `allowDone`), never a crash or a raw code.
    static func expectSurvived(_ out: CommandOutput, _ what: String, allowDone: Bool, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let allowed: [Int32] = allowDone ? [0, 75] : [75]
        #expect(allowed.contains(out.status), "\(what): exit \(out.status): \(out.stderr)", sourceLocation: sourceLocation)
        #expect(
            !out.stderr.contains("Fatal error") && !out.stderr.contains("(-1)"), "\(what): \(out.stderr)", sourceLocation: sourceLocation)
        if out.status == 75 {
            #expect(
                out.stderr.contains("[server_unreachable]") && out.stderr.contains("Your edits are kept on this device"),
                "\(what): \(out.stderr)",
                sourceLocation: sourceLocation)
        }
    }

    /// Every record made is still on the device.
    static func expectKept(_ ids: [UUID], on device: Device, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let held = Set(try device.list().map(\.snapshot.id))
        #expect(held.isSuperset(of: ids), "\(Set(ids).subtracting(held).count) record(s) lost", sourceLocation: sourceLocation)
    }

    /// A good sync sends what is left; another device then holds every record, and the
    /// server's history of each shows it applied once (read over the wire, many records fast).
    static func expectAppliedOnce(_ ids: [UUID], sender: Device, reader: Device, world: TestWorld) async throws {
        let final = try sender.sync()
        #expect(final.reachable && final.unsent == 0 && final.refused == 0, "\(final)")
        try reader.sync()
        #expect(Set(try reader.list().map(\.snapshot.id)) == Set(ids))
        let wire = try await WireClient.enrolled(world, user: "bob", allocate: false)
        for id in ids {
            let answer = try await wire.send("GET", "/v1/records/\(id.uuidString)/history")
            let history = try JSONDecoder().decode(HistoryView.self, from: answer.body)
            #expect(history.versions.count == 1 && history.rejections.isEmpty, "\(id) applied once: \(answer.text.prefix(300))")
        }
    }
}
