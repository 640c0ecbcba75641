import FieldSyncProtocol
import Testing

@Suite("Feed cursor text")
struct FeedCursorTests {
    @Test("Every form round-trips through its text")
    func roundTrips() {
        let cursors = [
            FeedCursor.start, FeedCursor(sequence: 41), FeedCursor(sequence: 41, generation: 3),
            FeedCursor(sequence: 1_000_000, generation: 7, catchUp: .init(from: 2, position: 999_999)),
            FeedCursor(sequence: 5, generation: 2, catchUp: .init(from: 1, position: 0)),
        ]
        for cursor in cursors {
            #expect(FeedCursor(token: cursor.token) == cursor, "\(cursor.token)")
        }
        #expect(FeedCursor(sequence: 41, generation: 3).token == "fs1.15.3")
    }

    @Test("Texts the server never makes are not cursors")
    func malformed() {
        for text in [
            "", "fs1.", "fs2.1", "fs1.-1", "fs1.1.0", "fs1.1.2.3", "fs1.5.2.2.1", "fs1.5.2.3.1", "fs1.5.3.1.6", "fs1.5.3.0.1",
            "fs1.1.2.1.1.1", "fs1.zz!", "fs1." + String(repeating: "1", count: 70),
        ] {
            #expect(FeedCursor(token: text) == nil, "\(text)")
        }
    }
}
