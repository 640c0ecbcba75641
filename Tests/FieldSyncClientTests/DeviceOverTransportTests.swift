import FieldSyncClient
import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// The client library as a device app links it: the real `FieldSyncDevice`, over its transport
/// (AsyncHTTPClient on Linux), against a real server process, directly and through a loopback
/// proxy that is slow or drops answers part-way.
@Suite("FieldSyncDevice over its transport")
struct DeviceOverTransportTests {
    @Test("Two devices converge through a real server: a line merge kept, a conflict settled")
    func twoDevicesConverge() async throws {
        let world = try ClientWorld()
        let ana = try await world.device("ana")
        let ben = try await world.device("ben")
        let visit = try ana.create(
            kind: .visit, youngPerson: world.youngPerson, fields: ["childViews": "Likes the flat.\n\nWorried about money."])
        #expect(try await ana.sync().applied == 1)
        #expect(try await ben.sync().received == 1)

        _ = try ana.update(
            record: visit.id, fields: ["childViews": "Likes the flat and the park.\n\nWorried about money.", "bedroomSeen": true])
        _ = try ben.update(
            record: visit.id,
            fields: ["childViews": "Likes the flat.\n\nWorried about money; will apply for a grant.", "bedroomSeen": false])
        #expect(try await ana.sync().applied == 1)
        let second = try await ben.sync()
        #expect(second.conflicted == 1, "bedroomSeen was set two ways")
        _ = try await ana.sync()

        let held = try #require(try ana.record(visit.id)).snapshot
        #expect(
            held.fields["childViews"] == "Likes the flat and the park.\n\nWorried about money; will apply for a grant.",
            "both paragraphs kept")
        let conflict = try #require(held.conflicts.first)
        #expect(conflict.field == "bedroomSeen")
        _ = try ana.resolve(conflict: conflict.id, choice: .current)
        _ = try await ana.sync()
        _ = try await ben.sync()
        let anaView = try #require(try ana.record(visit.id)).snapshot
        let benView = try #require(try ben.record(visit.id)).snapshot
        #expect(anaView == benView && anaView.conflicts.isEmpty)
    }

    @Test("Slow answers complete; answers cut part-way leave the edit queued; the next good sync applies it once")
    func slowAndDroppingLinks() async throws {
        let world = try ClientWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let ana = try await world.device("ana", server: proxy.url, timeout: .seconds(5))
        let visit = try ana.create(kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": "Over a slow link"])

        proxy.fault = .delayAnswer(seconds: 0.3)
        let slow = try await ana.sync()
        #expect(slow.reachable && slow.applied == 1 && slow.unsent == 0)

        // Every cut, from the first byte of the answer to well into its body: never a crash,
        // always "unreachable" with a sentence, the edit kept.
        for cut in [0, 1, 17, 60, 150, 400] {
            _ = try ana.update(record: visit.id, fields: ["observations": .string("Cut at \(cut)")])
            proxy.fault = .cutAnswer(after: cut)
            let report = try await ana.sync()
            #expect(!report.reachable, "cut at \(cut)")
            #expect(!(report.message ?? "").isEmpty, "cut at \(cut): a sentence")
            proxy.fault = .none
            let good = try await ana.sync()
            #expect(good.reachable && good.unsent == 0, "cut at \(cut): \(good)")
            #expect(try ana.record(visit.id)?.snapshot.fields["observations"] == .string("Cut at \(cut)"))
        }

        proxy.fault = .reset
        _ = try ana.update(record: visit.id, fields: ["analysis": "After a reset"])
        #expect(try await ana.sync().reachable == false)
        proxy.fault = .none
        #expect(try await ana.sync().unsent == 0)

        // Each change set this device sent is in the record's history once, whatever was retried.
        let history = try await ana.history(of: visit.id)
        let changeSets = history.versions.map(\.by.changeSet)
        #expect(Set(changeSets).count == changeSets.count, "no change set applied twice")
        #expect(history.versions.count == 1 + 6 + 1, "the create, one edit per cut, the edit after the reset")
    }

    @Test("An answer slower than the device's timeout is 'unreachable', and nothing is lost")
    func timeoutIsUnreachable() async throws {
        let world = try ClientWorld()
        let proxy = try FaultProxy(upstreamPort: world.server.port)
        defer { proxy.stop() }
        let ana = try await world.device("ana", server: proxy.url, timeout: .milliseconds(500))
        _ = try ana.create(kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": "Timed out"])
        proxy.fault = .delayAnswer(seconds: 2)
        let report = try await ana.sync()
        #expect(!report.reachable && report.unsent == 1)
        proxy.fault = .none
        let again = try await ana.sync()
        #expect(again.reachable && again.unsent == 0)
        #expect(try ana.records().count == 1)
    }
}
