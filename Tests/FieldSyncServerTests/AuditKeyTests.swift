import Crypto
import Foundation
import Testing

@testable import FieldSyncServer

/// The pure parts of the keyed audit chain (finding 7); the end-to-end tests drive the CLI.
@Suite("Audit key and anchor rules")
struct AuditKeyTests {
    @Test("Each entry's MAC is HMAC-SHA256 with the key, whatever came before it")
    func macMatchesHMAC() {
        let bytes = (0..<32).map { UInt8($0 * 7 & 0xff) }
        let key = AuditKey(bytes: bytes, keyedFrom: 1)
        for text in ["a", "", String(repeating: "x", count: 1000), "a"].map({ Array($0.utf8) }) {
            let expected = Hex.string(HMAC<SHA256>.authenticationCode(for: text, using: SymmetricKey(data: bytes)))
            #expect(key.mac(text) == expected)
        }
        #expect(AuditKey(bytes: bytes, keyedFrom: 1).fingerprint == key.fingerprint)
        #expect(AuditKey.generate(keyedFrom: 1).fingerprint != key.fingerprint)
    }

    @Test("Keyed and plain digests of one entry differ; plain is the pre-key SHA-256 chain")
    func keyedAndPlainDiffer() {
        let key = AuditKey.generate(keyedFrom: 1)
        func digest(_ key: AuditKey?) -> String {
            AuditLog.digest(
                previous: AuditLog.genesis, at: "2026-12-02T00:00:00Z", actor: "alice", role: "PA", device: nil, action: "CREATE",
                record: nil, youngPerson: nil, detail: "", key: key)
        }
        #expect(digest(key) != digest(nil))
        #expect(digest(nil).count == 64 && digest(key).count == 64)
    }

    @Test("An anchor agrees with its own trail, and names a shorter or rewritten one")
    func anchorComparison() {
        let anchor = AuditAnchor(entries: 10, head: String(repeating: "a", count: 64), takenAt: "T", key: nil)
        #expect(anchor.mismatch(lastId: 10, hashAtAnchor: anchor.head) == nil)
        #expect(anchor.mismatch(lastId: 12, hashAtAnchor: anchor.head) == nil)
        #expect(anchor.mismatch(lastId: 7, hashAtAnchor: nil)?.contains("the newest 3 entries were removed") == true)
        #expect(anchor.mismatch(lastId: 12, hashAtAnchor: String(repeating: "b", count: 64))?.contains("rewritten") == true)
        #expect(anchor.mismatch(lastId: 12, hashAtAnchor: nil)?.contains("is missing") == true)
    }

    @Test("An in-process store is keyed from its first entry and verifies")
    func harnessStoreIsKeyed() throws {
        let h = try ServerHarness()
        _ = try h.device("alice")
        let key = try #require(h.database.auditKey.key)
        #expect(key.keyedFrom == 1)
        let result = try h.admin.verifyAudit()
        #expect(result.intact && result.keyed && result.checked > 1)
        let anchor = try h.admin.anchorAudit()
        #expect(try h.admin.verifyAudit(anchor: anchor).intact)
    }
}
