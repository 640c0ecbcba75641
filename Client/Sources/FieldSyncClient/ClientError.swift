/// Why a client action could not be done, with a code and a sentence a person can act on.
public struct ClientError: Error, Sendable, CustomStringConvertible, Codable {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func notEnrolled() -> ClientError {
        ClientError("not_enrolled", "This device is not enrolled yet. Run: fieldsync enrol --server URL --code CODE")
    }

    static func noRecord(_ id: String) -> ClientError {
        ClientError("record_not_found", "There is no record \(id) on this device. List them with: fieldsync list")
    }

    static func storage(_ error: any Error) -> ClientError {
        ClientError("storage_error", "The device's local store could not be used: \(error)")
    }
}
