import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging

/// `POST /v1/enrol`, guarded against guessing: failed attempts are rate-limited per client
/// address and for the whole server (``AttemptLimiter``; `429 rate_limited` with `Retry-After`),
/// refused before anything is looked up; a wrong code is found with a read, so a guess never
/// takes the writer; and every failure is logged and audited, coalesced (``SecurityAudit``).
struct EnrolmentEndpoint: Sendable {
    let database: ServerDatabase
    let admin: AdminService
    let limiter: AttemptLimiter
    let securityAudit: SecurityAudit
    let logger: Logger

    static let maxBodyBytes = 16 * 1024
    static let maxDeviceNameLength = 100

    func enrol(_ request: Request) async throws -> Response {
        let address = PeerAddress.current
        if case .refused(let wait, let overall) = limiter.admit(address) {
            securityAudit.record(
                .init(
                    action: .enrolRateLimited, address: address,
                    reason: overall ? "too many failed enrolments on the server" : "too many failed enrolments from this address"))
            throw APIError(
                .tooManyRequests, .rateLimited,
                "Too many failed enrolment attempts \(overall ? "on this server" : "from this address"); try again in \(wait) seconds, and check the code with your admin.",
                retryAfterSeconds: wait)
        }
        let body: EnrolmentRequest
        do {
            body = try await RequestDecoding.decode(EnrolmentRequest.self, from: request, maxBytes: Self.maxBodyBytes)
            try Self.checkDeviceName(body.deviceName)
        } catch {
            // A malformed request is not a guess.
            limiter.refund(address)
            throw error
        }
        guard try await isOutstanding(code: body.code) else {
            securityAudit.record(
                .init(action: .enrolFailed, address: address, reason: "an enrolment code that is wrong or was used already"))
            throw APIError(
                .unauthorized, .badEnrolmentCode, "That enrolment code is not valid (or was used already). Ask your admin for a new one.")
        }
        let answer: EnrolmentResponse
        do {
            answer = try admin.redeem(code: body.code, deviceName: body.deviceName)
        } catch {
            if error.code == "bad_enrolment_code" {
                securityAudit.record(
                    .init(action: .enrolFailed, address: address, reason: "an enrolment code that expired or was just used"))
                throw APIError(.unauthorized, .badEnrolmentCode, error.message)
            }
            limiter.refund(address)
            throw APIError(.serviceUnavailable, .unavailable, error.message)
        }
        limiter.refund(address)
        logger.info("device enrolled", metadata: ["device": "\(answer.device)", "user": "\(answer.user)", "address": "\(address)"])
        return try SyncRoutes.json(answer)
    }

    /// Whether an unused code with this hash exists: a read, so wrong guesses never write.
    private func isOutstanding(code: String) async throws -> Bool {
        let hash = Secrets.hash(Secrets.normaliseCode(code))
        do {
            return try await database.pool.read { db in
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM devices WHERE enrol_code_hash = ? AND token_hash IS NULL", arguments: [hash]) ?? false
            }
        } catch {
            throw APIError(.serviceUnavailable, .unavailable, "The server could not read its device list; try again shortly.")
        }
    }

    static func checkDeviceName(_ name: String?) throws(APIError) {
        guard let name else { return }
        if name.utf8.count > maxDeviceNameLength * WireProtocol.utf8BytesPerCharacter || name.count > maxDeviceNameLength
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            throw APIError(
                .badRequest, .invalidValue,
                "deviceName must be at most \(maxDeviceNameLength) characters (\(maxDeviceNameLength * WireProtocol.utf8BytesPerCharacter) bytes in UTF-8) with no control characters, e.g. laptop-417."
            )
        }
    }
}
