/// What an audit entry says was done: every action the server writes into the audit trail.
///
/// The stored entry keeps the raw value (``AuditEntry/action`` is text, so a trail written by a
/// newer build still reads); everything that writes an entry names one of these.
public enum AuditAction: String, Sendable, CaseIterable {
    // Writes made through change sets (one entry per applied operation).
    case create = "CREATE"
    case update = "UPDATE"
    case statusChange = "STATUS_CHANGE"
    case delete = "DELETE"
    case resolveConflict = "RESOLVE_CONFLICT"

    // Reads of case content by a device.
    /// A pull page (incremental or catch-up).
    case syncDownload = "SYNC_DOWNLOAD"
    /// One record fetched on demand (`GET /v1/records/{id}`).
    case recordRead = "RECORD_READ"
    case historyRead = "HISTORY_READ"
    case complianceReport = "COMPLIANCE_REPORT"
    /// A team manager's list of their team's devices.
    case deviceList = "DEVICE_LIST"
    /// Written before the first line of an export is sent, so a cut-off export is still on record.
    case exportStarted = "EXPORT_STARTED"
    case export = "EXPORT"
    case exportCutOff = "EXPORT_CUT_OFF"
    /// A view a device made offline and reported later (`POST /v1/device/views`).
    case offlineView = "OFFLINE_VIEW"

    // Devices and sign-in.
    case login = "LOGIN"
    case remoteWipe = "REMOTE_WIPE"
    /// An administrator revoked a device (`admin device revoke`).
    case deviceRevoked = "DEVICE_REVOKED"
    /// A device retired itself (`fieldsync retire`).
    case deviceRetired = "DEVICE_RETIRED"
    /// An enrolment code that was wrong, used or expired (tallied by ``SecurityAudit``).
    case enrolFailed = "ENROL_FAILED"
    /// An enrolment refused by the rate limit before it was looked up.
    case enrolRateLimited = "ENROL_RATE_LIMITED"
    /// A bearer token the server never issued, an expired one, or a revoked device's.
    case authFailed = "AUTH_FAILED"

    // Administration.
    case userAdded = "USER_ADDED"
    case teamAdded = "TEAM_ADDED"
    case allocationEnded = "ALLOCATION_ENDED"
    /// A worker allocated to a young person (key or co-worker).
    case accessGranted = "ACCESS_GRANTED"
    case youngPersonFacts = "YOUNG_PERSON_FACTS"
    case bankHolidaysImported = "BANK_HOLIDAYS_IMPORTED"
    case deviceEnrolmentIssued = "DEVICE_ENROLMENT_ISSUED"
    case auditAnchor = "AUDIT_ANCHOR"
    case auditKeyCreated = "AUDIT_KEY_CREATED"
    case backup = "BACKUP"
}
