/// The body of every error answer: a machine-readable code and a sentence a person can act on.
///
/// `{"error": {"code": "unknown_field", "message": "…", "supportedVersions": [1], "wipe": false}}`
public struct ErrorBody: Codable, Sendable {
    public struct Detail: Codable, Sendable {
        public var code: String
        public var message: String
        /// With `unsupported_protocol_version`: the versions the server speaks.
        public var supportedVersions: [Int]?
        /// With `device_revoked`: the device must erase its local store.
        public var wipe: Bool?

        public init(code: String, message: String, supportedVersions: [Int]? = nil, wipe: Bool? = nil) {
            self.code = code
            self.message = message
            self.supportedVersions = supportedVersions
            self.wipe = wipe
        }
    }

    public var error: Detail

    public init(_ detail: Detail) { self.error = detail }
}

/// Error codes of the wire protocol. Each is documented in `Protocol/WIRE-PROTOCOL.md`.
public enum ErrorCode: String, Sendable, CaseIterable {
    // 400: the request is not well-formed FieldSync.
    case malformedJSON = "malformed_json"
    case wrongType = "wrong_type"
    case missingMember = "missing_member"
    case unknownField = "unknown_field"
    case invalidValue = "invalid_value"
    case badCursor = "bad_cursor"
    case badRequest = "bad_request"
    case unsupportedProtocolVersion = "unsupported_protocol_version"
    /// `deviceSequence` is above 2^53 − 1 or jumps too far past the device's last one.
    case sequenceOutOfRange = "sequence_out_of_range"
    /// The HTTP framing itself is broken (a bad chunk size, a bad header line).
    case malformedRequest = "malformed_request"
    // 401/403: who is asking.
    case unauthenticated = "unauthenticated"
    case deviceRevoked = "device_revoked"
    case tokenExpired = "token_expired"
    case forbidden = "forbidden"
    case badEnrolmentCode = "bad_enrolment_code"
    // 404/405/409/413
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case outOfOrder = "out_of_order"
    case changeSetIdReused = "change_set_id_reused"
    case bodyTooLarge = "body_too_large"
    // 408/429
    case requestTimeout = "request_timeout"
    case rateLimited = "rate_limited"
    /// Past the server's bounds on live-sync connections (per device or in all); `Retry-After` says when to try again.
    case tooManyWatches = "too_many_watches"
    // 5xx
    case internalError = "internal_error"
    case unavailable = "unavailable"
}

/// Rejection codes: a verdict on one operation, never an HTTP error.
public enum RejectionCode: String, Sendable, CaseIterable {
    case recordExists = "record_exists"
    case recordNotFound = "record_not_found"
    case recordDeleted = "record_deleted"
    case notEditable = "not_editable"
    case staleEditOnLockedRecord = "stale_edit_on_locked_record"
    case transitionNotAllowed = "transition_not_allowed"
    case transitionCheckFailed = "transition_check_failed"
    case conflictNotFound = "conflict_not_found"
    case conflictAlreadyResolved = "conflict_already_resolved"
    case invalidValue = "invalid_value"
    case kindMismatch = "kind_mismatch"
    case forbidden = "forbidden"
    /// The record already holds as many open conflicts as it may (``StorageLimits``).
    case tooManyConflicts = "too_many_conflicts"
    /// The change would make the record's document larger than the server keeps (``StorageLimits``).
    case recordTooLarge = "record_too_large"
}
