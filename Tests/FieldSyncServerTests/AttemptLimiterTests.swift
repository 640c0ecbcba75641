import FieldSyncProtocol
import HTTPTypes
import Testing

@testable import FieldSyncServer

/// The enrolment guard's buckets and the health-header checks (issue 9, findings 12 and 15).
@Suite("Attempt limiter and device report parsing")
struct AttemptLimiterTests {
    @Test("Per address: the bound refuses with a wait, a success refunds, time refills")
    func perAddress() {
        let limiter = AttemptLimiter(perAddressPerMinute: 3, overallPerMinute: 1_000)
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.admit("10.0.0.1", now: start) == .admitted) }
        #expect(limiter.admit("10.0.0.1", now: start) == .refused(retryAfterSeconds: 20, overall: false))
        #expect(limiter.admit("10.0.0.2", now: start) == .admitted, "another address has its own bucket")
        limiter.refund("10.0.0.1")
        #expect(limiter.admit("10.0.0.1", now: start) == .admitted, "a success gave its token back")
        #expect(limiter.admit("10.0.0.1", now: start + .seconds(19)) != .admitted)
        #expect(limiter.admit("10.0.0.1", now: start + .seconds(40)) == .admitted, "refilled at 3 a minute")
    }

    @Test("Overall: the server-wide bound refuses a new address")
    func overall() {
        let limiter = AttemptLimiter(perAddressPerMinute: 100, overallPerMinute: 2)
        let now = ContinuousClock.now
        #expect(limiter.admit("a", now: now) == .admitted)
        #expect(limiter.admit("b", now: now) == .admitted)
        #expect(limiter.admit("c", now: now) == .refused(retryAfterSeconds: 30, overall: true))
    }

    @Test("The address table stays bounded")
    func bounded() {
        let limiter = AttemptLimiter(perAddressPerMinute: 5, overallPerMinute: 1_000_000, maxAddresses: 100)
        let now = ContinuousClock.now
        for n in 0..<1_000 { _ = limiter.admit("10.0.\(n / 256).\(n % 256)", now: now) }
        // Every address made one attempt; none is locked out by the pruning.
        #expect(limiter.admit("10.0.0.1", now: now) == .admitted)
    }

    @Test("Health headers: malformed values are left out and named")
    func healthHeaders() {
        var headers = HTTPFields()
        headers[HTTPField.Name(WireProtocol.unsentHeader)!] = "-5"
        headers[HTTPField.Name(WireProtocol.oldestUnsentHeader)!] = "120"
        headers[HTTPField.Name(WireProtocol.clientHeader)!] = String(repeating: "n", count: 8_000)
        let (report, ignored) = DeviceReport.parse(headers)
        #expect(report.unsent == nil)
        #expect(report.oldestUnsentSeconds == 120)
        #expect(report.client == nil)
        #expect(ignored.count == 2)
        headers[HTTPField.Name(WireProtocol.unsentHeader)!] = "7"
        headers[HTTPField.Name(WireProtocol.clientHeader)!] = "fieldsync-cli/0.1.0"
        let good = DeviceReport.parse(headers)
        #expect(good.ignored.isEmpty)
        #expect(good.report.unsent == 7 && good.report.client == "fieldsync-cli/0.1.0")
    }
}
