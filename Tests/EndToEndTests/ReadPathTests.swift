import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 9, finding 3 (pull part): a pull reads without the write lock, so a long write does not
/// hold it up; what it writes (its audit entry, the device report) goes through the writer.
@Suite("Pulls never wait for the write lock")
struct ReadPathTests {
    /// Every read waits for its entry, so the trail can be read back at once (the default,
    /// `deferred`, can answer a read while pushes commit and write its entry just after).
    static let strictAudit = ["--read-audit", "strict"]

    /// A process that holds SQLite's write lock on the server's database until it is stopped.
    final class LockHolder {
        let process = Process()
        let marker: URL

        init(database: String, scratch: URL) throws {
            marker = scratch.appendingPathComponent("locked-\(UUID().uuidString)")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c",
                """
                import sqlite3, sys, time
                c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
                c.execute("BEGIN IMMEDIATE")
                open(sys.argv[2], "w").write("locked")
                time.sleep(60)
                """,
                database, marker.path,
            ]
            try process.run()
            // Bounded: at most 30 s for python to take the lock.
            for _ in 0..<3_000 where !FileManager.default.fileExists(atPath: marker.path) {
                guard process.isRunning else { throw WorldError("the lock holder exited early") }
                usleep(10_000)
            }
            guard FileManager.default.fileExists(atPath: marker.path) else { throw WorldError("the lock holder never took the lock") }
        }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    @Test("With the write lock held by someone else, a device's pull of an unchanged feed still answers; the next delivers and is audited")
    func pullWithoutWriteLock() async throws {
        let world = try TestWorld(serverArguments: Self.strictAudit)
        let alice = try world.device("alice")
        let bob = try await WireClient.enrolled(world, user: "bob")
        _ = try alice.newVisit(["purpose=Before the long write"])
        try alice.sync()
        let first = try await CursorTests.pages(bob, after: "", limit: 1000)
        #expect(first.pages.flatMap(\.records).count == 1)

        let lock = try LockHolder(database: world.server.dataDirectory + "/fieldsync.sqlite", scratch: world.root)
        // The old server took the write lock for every pull: this waited out the 10 s busy
        // timeout and failed. Now the read never asks for it.
        let during = try await bob.send("GET", "/v1/changes?after=\(first.cursor)&limit=1000")
        lock.stop()
        #expect(during.status == 200, "\(during.text)")
        let page = try JSONDecoder().decode(PullPage.self, from: during.body)
        #expect(page.records.isEmpty && !page.more && page.cursor == first.cursor)

        // Once the lock is free, a pull that delivers is answered and audited.
        let second = try alice.newVisit(["purpose=After the long write"])
        try alice.sync()
        let next = try await CursorTests.pages(bob, after: first.cursor, limit: 1000)
        #expect(next.pages.flatMap(\.records).map(\.id) == [second])
        let downloads = try ReadAuditTests.audit(world).filter { $0.action == "SYNC_DOWNLOAD" && $0.actor == "bob" }
        #expect(downloads.count == 2, "the two pulls that delivered a record; the empty one read no case content")
    }
}
