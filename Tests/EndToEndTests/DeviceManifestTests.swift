import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// The lost-device manifest (issue 15): `fieldsync-server admin device manifest` lists exactly
/// the records a device could hold, at the versions it was sent, from the server's pull history.
@Suite("Lost-device manifest")
struct DeviceManifestTests {
    struct ManifestView: Decodable {
        struct Held: Decodable, Hashable {
            let id: String
            let kind: String
            let youngPerson: String
            let version: Int64
            let source: String
        }
        let device: String
        let user: String
        let revokedAt: String?
        let toldToWipeAt: String?
        let lastPullAt: String?
        let pullsAfterRevocation: Int
        let youngPeople: [String]
        let records: [Held]
    }

    func manifest(_ world: TestWorld, _ device: String) throws -> ManifestView {
        let out = try world.admin(["device", "manifest", "--device", device, "--json"])
        #expect(out.succeeded, "\(out.stderr)")
        return try JSONDecoder().decode(ManifestView.self, from: Data(out.stdout.utf8))
    }

    @Test("A revoked device's manifest lists exactly the records it had pulled, at the versions it held, and says when it was told to wipe")
    func revokedDevice() throws {
        let world = try TestWorld()
        let writer = try world.device("alice")
        let lost = try world.device("alice")  // alice's second device: the one left on a train
        let bob = try world.device("bob", shared: false)
        let elsewhere = UUID()
        try world.allocate(elsewhere, to: "bob")
        _ = try bob.newVisit(youngPerson: elsewhere, ["purpose=Not alice's young person"])
        try bob.sync()

        let first = try writer.newVisit(["purpose=First visit"])
        let second = try writer.newVisit(["purpose=Second visit"])
        try writer.sync()
        #expect(try lost.sync().received == 2)
        let heldVersions = [first: try lost.show(first).version, second: try lost.show(second).version]

        // After the lost device's last pull: a new record, and a new version of one it holds.
        let third = try writer.newVisit(["purpose=Written after the device was lost"])
        #expect(try writer.run(["set", first.uuidString, "analysis=Edited after the device was lost"]).succeeded)
        try writer.sync()

        let lostId = try #require(try lost.json(StatusWithDevice.self, ["status"]).device)
        #expect(try world.admin(["device", "revoke", "--device", lostId]).succeeded)
        let atRevocation = try manifest(world, lostId)
        #expect(atRevocation.device == lostId.lowercased() && atRevocation.user == "alice")
        #expect(atRevocation.revokedAt != nil && atRevocation.toldToWipeAt == nil && atRevocation.pullsAfterRevocation == 0)
        #expect(atRevocation.lastPullAt != nil)
        let expected = Set(
            heldVersions.map {
                ManifestView.Held(
                    id: $0.key.uuidString.lowercased(), kind: "visit", youngPerson: world.youngPerson.uuidString.lowercased(),
                    version: $0.value, source: "pulled")
            })
        #expect(Set(atRevocation.records) == expected, "exactly the two records it pulled, at the versions it holds")
        #expect(!atRevocation.records.contains { $0.id == third.uuidString.lowercased() })
        #expect(atRevocation.youngPeople == [world.youngPerson.uuidString.lowercased()], "bob's young person was never on it")

        // Its next contact tells it to wipe; the manifest then says so, and still lists what it held.
        #expect(try lost.sync().wiped)
        let afterWipe = try manifest(world, lostId)
        #expect(afterWipe.toldToWipeAt != nil && Set(afterWipe.records) == expected)

        let text = try world.admin(["device", "manifest", "--device", lostId])
        #expect(text.succeeded && text.stdout.contains("Could hold 2 record(s) of 1 young person(s)"))
        #expect(text.stdout.contains(first.uuidString.lowercased()) && !text.stdout.contains(third.uuidString.lowercased()))
    }

    @Test("A record the device wrote stays in its manifest after its young person moved away (could hold errs towards listing)")
    func sentRecords() throws {
        let world = try TestWorld()
        let carol = try world.device("carol")
        let id = try carol.newVisit(["purpose=Written by carol before the move"])
        try carol.sync()
        _ = try world.device("dave", shared: false)
        try world.allocate(world.youngPerson, to: "dave")  // carol's allocation ends
        #expect(try carol.sync().removed == 1)
        let deviceId = try #require(try carol.json(StatusWithDevice.self, ["status"]).device)
        let held = try manifest(world, deviceId).records
        #expect(held.map(\.id) == [id.uuidString.lowercased()] && held.first?.source == "sent")
    }

    @Test("An unknown device is refused with a code and a sentence")
    func unknownDevice() throws {
        let world = try TestWorld()
        let out = try world.admin(["device", "manifest", "--device", UUID().uuidString])
        #expect(!out.succeeded)
        #expect((out.stderr + out.stdout).contains("unknown_device") && (out.stderr + out.stdout).contains("device list"))
    }
}
