import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, findings 12 and 6 (part): enrolment guesses are rate-limited per address and for the
/// whole server, and failed enrolments and bad tokens reach the audit trail, coalesced.
@Suite("Enrolment limits and the audit of failed enrolments and bad tokens")
struct EnrolmentLimitTests {
    /// `POST /v1/enrol` over a raw socket from a chosen loopback address.
    func enrol(_ world: TestWorld, code: String, from source: String = "127.0.0.1") throws -> RawHTTP.Response? {
        let body = #"{"code":"\#(code)","deviceName":"laptop"}"#
        let connection = try RawHTTP(port: world.server.port, source: source)
        connection.sendAll(
            "POST /v1/enrol HTTP/1.1\r\nHost: 127.0.0.1\r\nFieldSync-Protocol: 1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        return connection.readResponse()
    }

    struct Entry: Decodable {
        let action: String
        let detail: String
        let actor: String
    }

    /// How many events the entries of `action` stand for ("N times between …", else one each).
    static func events(_ entries: [Entry], _ action: String) -> Int {
        entries.filter { $0.action == action }.reduce(0) { total, entry in
            if let range = entry.detail.range(of: #"(\d+) times between"#, options: .regularExpression) {
                return total + (Int(entry.detail[range].split(separator: " ").first ?? "") ?? 0)
            }
            return total + 1
        }
    }

    /// The audit trail once `done` holds for it (the security audit writes every two seconds).
    func audit(_ world: TestWorld, until done: ([Entry]) -> Bool) throws -> [Entry] {
        var entries: [Entry] = []
        for _ in 0..<40 {
            let out = try world.admin(["audit", "--json"])
            entries = (try? JSONDecoder().decode([Entry].self, from: Data(out.stdout.utf8))) ?? []
            if done(entries) { break }
            usleep(250_000)
        }
        return entries
    }

    @Test("Past the per-address bound, guesses are 429 with Retry-After, even a right code; another address still enrols")
    func perAddressLimit() throws {
        let world = try TestWorld(serverArguments: ["--enrol-failures-per-minute", "3", "--enrol-failures-per-minute-overall", "1000"])
        try world.addUser("alice")
        let code = try world.enrolmentCode(for: "alice")
        for _ in 0..<3 {
            let answer = try #require(try enrol(world, code: "WRNG-WRNG-WRNG"))
            #expect(answer.status == 401)
            #expect(answer.errorCode == "bad_enrolment_code")
        }
        for guess in ["WRNG-WRNG-WRNG", code] {
            let limited = try #require(try enrol(world, code: guess))
            #expect(limited.status == 429, "\(limited.text)")
            #expect(limited.errorCode == "rate_limited")
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.text.contains("try again in"))
        }
        let elsewhere = try #require(try enrol(world, code: code, from: "127.0.0.2"))
        #expect(elsewhere.status == 200, "\(elsewhere.text)")

        let entries = try audit(world) { Self.events($0, "ENROL_FAILED") == 3 && Self.events($0, "ENROL_RATE_LIMITED") == 2 }
        #expect(Self.events(entries, "ENROL_FAILED") == 3)
        #expect(Self.events(entries, "ENROL_RATE_LIMITED") == 2)
        #expect(entries.filter { $0.action == "ENROL_FAILED" }.allSatisfy { $0.detail.contains("from 127.0.0.1") })
        #expect(entries.contains { $0.action == "LOGIN" && $0.actor == "alice" })
        #expect(world.server.log.contains("ENROL_FAILED"), "failed enrolments are logged")
    }

    @Test("Past the server-wide bound, a guess from a new address is 429 too")
    func overallLimit() throws {
        let world = try TestWorld(serverArguments: ["--enrol-failures-per-minute", "100", "--enrol-failures-per-minute-overall", "3"])
        for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            #expect(try enrol(world, code: "WRNG-WRNG-WRNG", from: source)?.status == 401)
        }
        let limited = try #require(try enrol(world, code: "WRNG-WRNG-WRNG", from: "127.0.0.5"))
        #expect(limited.status == 429)
        #expect(limited.errorCode == "rate_limited")
        #expect(limited.text.contains("on this server"))
    }

    @Test("Forged tokens are audited, coalesced: 40 bad requests make a few audit entries, not 40 writes")
    func badTokensAudited() async throws {
        let world = try TestWorld()
        var forged = WireClient(server: world.server.url)
        forged.token = "forged-token"
        let started = ContinuousClock.now
        for _ in 0..<40 {
            #expect(try await forged.send("GET", "/v1/changes").status == 401)
        }
        // The security audit writes at most one entry per reason every two seconds, so the entries
        // are bounded by the two-second windows the 40 requests took (a loaded machine takes more).
        let windows = Int(((ContinuousClock.now - started) / .seconds(2)).rounded(.up)) + 1
        let entries = try audit(world) { Self.events($0, "AUTH_FAILED") == 40 }
        #expect(Self.events(entries, "AUTH_FAILED") == 40)
        let written = entries.filter { $0.action == "AUTH_FAILED" }.count
        #expect(written <= min(windows, 39), "coalesced: \(written) entries for 40 requests over \(windows) two-second windows")
        #expect(entries.contains { $0.action == "AUTH_FAILED" && $0.detail.contains("never issued") })

        // An expired token is audited under its user.
        try world.addUser("bob")
        let ticket = try world.admin(["device", "enrol", "--user", "bob", "--token-lifetime-seconds", "1", "--json"])
        struct Ticket: Decodable { let code: String }
        let code = try JSONDecoder().decode(Ticket.self, from: Data(ticket.stdout.utf8)).code
        let enrolled = try await forged.send(
            "POST", "/v1/enrol", body: try JSONEncoder().encode(EnrolmentRequest(code: code, deviceName: "b")))
        var bob = WireClient(server: world.server.url)
        bob.token = try JSONDecoder().decode(EnrolmentResponse.self, from: enrolled.body).token
        usleep(1_500_000)  // past the one-second lifetime
        let expired = try await bob.send("GET", "/v1/changes")
        #expect(expired.status == 401 && expired.error?.code == "token_expired", "\(expired.text)")
        let later = try audit(world) { $0.contains { $0.action == "AUTH_FAILED" && $0.actor == "bob" } }
        #expect(later.contains { $0.action == "AUTH_FAILED" && $0.actor == "bob" && $0.detail.contains("expired") })
        let verify = try world.admin(["audit", "--verify"])
        #expect(verify.succeeded, "\(verify.stdout)")
    }
}
