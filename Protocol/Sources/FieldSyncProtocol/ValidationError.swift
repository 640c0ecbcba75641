/// A request that is not well-formed FieldSync: a wrong type, an unknown field, a bad value.
/// Carries the protocol error code and a sentence a person can act on.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
