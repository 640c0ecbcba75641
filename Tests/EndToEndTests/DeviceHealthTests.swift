import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Device health (contract 5.5) as a supervisor reads it: what a device last reported.
@Suite("Device health")
struct DeviceHealthTests {
    struct Info: Decodable {
        let user: String
        let unsent: Int?
    }

    @Test("A device that syncs twice within seconds (nothing unsent, then one sent) is listed with nothing unsent")
    func lastReportAfterAPushIsKept() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        try alice.sync()  // reports 0 unsent on its pull
        _ = try alice.newVisit(["purpose=Sent at once"])
        // The push reports 1 unsent (the change set it carries); the pull after it reports 0
        // again, within the seconds in which a repeated report is not written twice.
        #expect(try alice.sync().unsent == 0)
        let deadline = Date().addingTimeInterval(10)
        var listed: Int?
        // Pull audit entries and reports are committed with the writer's next group, milliseconds later.
        for _ in 0..<100 where Date() < deadline {
            let list = try world.admin(["device", "list", "--json"])
            listed = try JSONDecoder().decode([Info].self, from: Data(list.stdout.utf8)).first { $0.user == "alice" }?.unsent
            if listed == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(listed == 0, "the pull's report after the push, not the push's")
    }
}
