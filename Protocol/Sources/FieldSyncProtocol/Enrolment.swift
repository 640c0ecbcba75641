import Foundation

/// `POST /v1/enrol`: a device trades the one-time code an admin gave its user for a bearer token.
public struct EnrolmentRequest: Codable, Sendable {
    public var code: String
    public var deviceName: String?

    public init(code: String, deviceName: String? = nil) {
        self.code = code
        self.deviceName = deviceName
    }
}

public struct EnrolmentResponse: Codable, Sendable {
    public var device: String
    public var user: String
    public var role: String
    public var team: String
    /// The bearer token for every later request. Shown once; the server keeps only its hash.
    public var token: String
    public var protocolVersions: [Int]

    public init(device: String, user: String, role: String, team: String, token: String, protocolVersions: [Int]) {
        self.device = device
        self.user = user
        self.role = role
        self.team = team
        self.token = token
        self.protocolVersions = protocolVersions
    }
}

/// Roles known to FieldSync (domain model 1.1).
public enum Role: String, Codable, Sendable, CaseIterable {
    case personalAdviser = "PA"
    case socialWorker = "SW"
    case teamManager = "TM"
    case virtualSchool = "VSO"
    case designatedTeacher = "DT"
    case admin = "SYSADMIN"

    /// Accepts the wire name or a friendly one (`personal-adviser`, `pa`, `team-manager` …).
    public init?(loose text: String) {
        let t = text.uppercased().replacingOccurrences(of: "-", with: "_")
        switch t {
        case "PA", "PERSONAL_ADVISER": self = .personalAdviser
        case "SW", "SOCIAL_WORKER": self = .socialWorker
        case "TM", "ATM", "TEAM_MANAGER", "SUPERVISOR": self = .teamManager
        case "VSO", "VSH", "VIRTUAL_SCHOOL": self = .virtualSchool
        case "DT", "DESIGNATED_TEACHER": self = .designatedTeacher
        case "SYSADMIN", "ADMIN": self = .admin
        default: return nil
        }
    }
}
