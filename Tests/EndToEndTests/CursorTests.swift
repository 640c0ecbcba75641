import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, finding 8: cursors the server never issued are refused, and catch-up pages keep to `limit`.
@Suite("Feed cursors: only issued ones, and catch-ups in pages")
struct CursorTests {
    /// `count` new visits for `youngPerson` in one change set, straight through the wire protocol.
    static func createVisits(_ client: WireClient, youngPerson: UUID, count: Int, sequence: Int64, label: String) async throws -> [UUID] {
        let ids = (0..<count).map { _ in UUID() }
        let answer = try await client.push(
            ChangeSet(
                deviceSequence: sequence,
                operations: ids.enumerated().map { n, id in
                    .create(id, kind: .visit, youngPerson: youngPerson, fields: ["purpose": .string("\(label) \(n)")])
                }))
        guard answer.status == 200 else { throw WorldError("push failed: \(answer.text)") }
        return ids
    }

    static func page(_ client: WireClient, after cursor: String, limit: Int) async throws -> PullPage {
        let answer = try await client.send("GET", "/v1/changes?after=\(cursor)&limit=\(limit)")
        guard answer.status == 200 else { throw WorldError("pull failed (\(answer.status)): \(answer.text)") }
        return try JSONDecoder().decode(PullPage.self, from: answer.body)
    }

    /// Follows the feed from `cursor` to its end, `limit` a page; every page, and the last cursor.
    static func pages(_ client: WireClient, after cursor: String, limit: Int) async throws -> (pages: [PullPage], cursor: String) {
        var cursor = cursor
        var pages: [PullPage] = []
        for _ in 0..<1_000 {
            let page = try await page(client, after: cursor, limit: limit)
            pages.append(page)
            cursor = page.cursor
            if !page.more { return (pages, cursor) }
        }
        throw WorldError("the feed did not end")
    }

    @Test("Cursors the server never gave this device are refused bad_cursor with a sentence saying to start over; issued ones work")
    func forgedCursorsAreRefused() async throws {
        let world = try TestWorld()
        let alice = try await WireClient.enrolled(world, user: "alice")
        let bob = try await WireClient.enrolled(world, user: "bob")
        _ = try await Self.createVisits(alice, youngPerson: world.youngPerson, count: 3, sequence: 1, label: "visit")
        let issued = try await Self.pages(alice, after: "", limit: 1000).cursor
        let parsed = try #require(FeedCursor(token: issued))
        #expect(parsed.generation > 0 && parsed.sequence == 3)

        let forged = [
            FeedCursor(sequence: 0, generation: 99).token,  // a generation never issued
            FeedCursor(sequence: 2).token,  // generation 0 past the start
            FeedCursor(sequence: parsed.sequence + 1_000, generation: parsed.generation).token,  // beyond the feed head
            FeedCursor(sequence: 3, generation: parsed.generation + 1, catchUp: .init(from: parsed.generation, position: 1)).token,
        ]
        for cursor in forged {
            let answer = try await alice.send("GET", "/v1/changes?after=\(cursor)&limit=1")
            #expect(answer.status == 400, "\(cursor): \(answer.text)")
            #expect(answer.error?.code == "bad_cursor", "\(cursor)")
            #expect(answer.error?.message.contains("Start over") == true, "\(cursor): \(answer.error?.message ?? "")")
        }
        // Another device's generation is not this device's, even for the same young person.
        let bobsFirst = try await Self.page(bob, after: "", limit: 1)
        let bobsGeneration = try #require(FeedCursor(token: bobsFirst.cursor)).generation
        let other = FeedCursor(sequence: 0, generation: bobsGeneration + 5).token
        #expect(try await alice.send("GET", "/v1/changes?after=\(other)").error?.code == "bad_cursor")
        // The issued cursor still works, and nothing was changed by the refusals.
        let next = try await Self.page(alice, after: issued, limit: 1)
        #expect(next.records.isEmpty && !next.more)
        let head = try await alice.send("GET", "/v1/changes?after=\(issued)")
        #expect(head.status == 200)
    }

    @Test("A catch-up after a reallocation keeps to limit, delivers every gained record exactly once, and the feed goes on after it")
    func catchUpIsPaged() async throws {
        let world = try TestWorld()
        let alice = try await WireClient.enrolled(world, user: "alice", allocate: false)
        let bob = try await WireClient.enrolled(world, user: "bob", allocate: false)
        let moving = UUID()
        let bobsOwn = UUID()
        try world.allocate(moving, to: "alice")
        try world.allocate(bobsOwn, to: "bob")
        let gained = try await Self.createVisits(alice, youngPerson: moving, count: 23, sequence: 1, label: "moving")
        let own = try await Self.createVisits(bob, youngPerson: bobsOwn, count: 2, sequence: 1, label: "own")
        let before = try await Self.pages(bob, after: "", limit: 1000)
        #expect(Set(before.pages.flatMap(\.records).map(\.id)) == Set(own))

        try world.allocate(moving, to: "bob", role: "co")
        let catchUp = try await Self.pages(bob, after: before.cursor, limit: 5)
        let received = catchUp.pages.flatMap(\.records).map(\.id)
        #expect(catchUp.pages.allSatisfy { $0.records.count <= 5 }, "pages of \(catchUp.pages.map(\.records.count))")
        #expect(catchUp.pages.count >= 5)
        #expect(received.count == gained.count && Set(received) == Set(gained), "every gained record exactly once")
        #expect(catchUp.pages.flatMap { $0.removed ?? [] }.isEmpty)

        // A change after the catch-up comes through the normal feed: nothing is missed.
        let later = try await Self.createVisits(alice, youngPerson: moving, count: 1, sequence: 2, label: "later")
        let after = try await Self.pages(bob, after: catchUp.cursor, limit: 5)
        #expect(after.pages.flatMap(\.records).map(\.id) == later)
    }

    @Test(
        "A scope change part-way through a catch-up starts it over from what the device held: nothing gained is missed, the lost are named")
    func scopeChangeMidCatchUp() async throws {
        let world = try TestWorld()
        let alice = try await WireClient.enrolled(world, user: "alice", allocate: false)
        let bob = try await WireClient.enrolled(world, user: "bob", allocate: false)
        let first = UUID()
        let second = UUID()
        try world.allocate(first, to: "alice")
        try world.allocate(second, to: "alice")
        let firstRecords = try await Self.createVisits(alice, youngPerson: first, count: 12, sequence: 1, label: "first")
        let secondRecords = try await Self.createVisits(alice, youngPerson: second, count: 4, sequence: 2, label: "second")
        let start = try await Self.pages(bob, after: "", limit: 1000)
        #expect(start.pages.flatMap(\.records).isEmpty)

        try world.allocate(first, to: "bob", role: "co")
        let part = try await Self.page(bob, after: start.cursor, limit: 5)
        #expect(part.records.count == 5 && part.more)
        // Bob loses the first young person and gains the second before the catch-up ends.
        #expect(try world.admin(["allocate", "--young-person", first.uuidString, "--user", "bob", "--end"]).succeeded)
        try world.allocate(second, to: "bob", role: "co")
        let rest = try await Self.pages(bob, after: part.cursor, limit: 5)
        let received = Set(rest.pages.flatMap(\.records).map(\.id))
        #expect(received == Set(secondRecords), "the second young person's records, whole")
        #expect(received.isDisjoint(with: firstRecords))
        #expect(Set(rest.pages.flatMap { $0.removed ?? [] }).contains(first), "the first young person is named as lost")
    }

    @Test("A device whose cursor the server refuses pulls its whole scope again and carries on, with nothing unsent lost")
    func deviceRecoversFromBadCursor() async throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let bob = try world.device("bob")
        let first = try alice.newVisit(["purpose=Before"])
        try alice.sync()
        try bob.sync()
        // Bob's store ends up with a cursor the server never issued (restored from elsewhere).
        let forged = FeedCursor(sequence: 5_000, generation: 1).token
        let edit = try ProcessRunner.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(\"UPDATE settings SET value = ? WHERE key = 'cursor'\", (sys.argv[2],))\nc.commit()",
                bob.store, forged,
            ])
        #expect(edit.succeeded, "\(edit.stderr)")
        let unsent = try bob.newVisit(["purpose=Written while the cursor was bad"])
        let second = try alice.newVisit(["purpose=After"])
        try alice.sync()

        let report = try bob.sync()
        #expect(report.reachable && report.unsent == 0)
        #expect(report.message?.contains("pulled again") == true, "\(report.message ?? "")")
        #expect(Set(try bob.list().map(\.snapshot.id)) == [first, second, unsent])
        let status = try bob.status()
        #expect(status.cursor != forged)
        // And the next sync is an ordinary one.
        #expect(try bob.sync().message == nil)
    }
}
