import FieldSyncProtocol

/// One visit record, reduced to what the visit rules read.
public struct VisitFact: Sendable, Hashable, Codable {
    /// The London date of `actualStart`: compliance counts a visit on the day it happened.
    public var day: CalendarDay
    /// `FACE_TO_FACE`, `VIDEO`, `PHONE` or `MESSAGE`.
    public var contactMode: String
    /// Whether the child was seen; nil when not yet recorded.
    public var childSeen: Bool?
    /// The visit record's lifecycle state (`VisitSchema.states`).
    public var state: String

    public init(day: CalendarDay, contactMode: String, childSeen: Bool?, state: String) {
        self.day = day
        self.contactMode = contactMode
        self.childSeen = childSeen
        self.state = state
    }

    /// Reads a visit record's state and fields; nil when `actualStart` is missing or is not an
    /// instant, since a visit with no start cannot count on any day.
    public init?(state: String, fields: [String: JSONValue]) {
        guard let start = fields["actualStart"]?.stringValue, let day = CalendarDay(instantText: start) else {
            return nil
        }
        self.init(
            day: day, contactMode: fields["contactMode"]?.stringValue ?? "",
            childSeen: fields["childSeen"]?.boolValue, state: state)
    }

    /// The states a visit counts in: completed or later (domain model §3.1). Compliance does not
    /// wait for authorisation, and a returned record was completed before it was submitted.
    public static let countingStates: Set<String> = ["COMPLETED", "SUBMITTED", "AUTHORISED", "RETURNED"]

    /// Whether this visit meets a visiting requirement and restarts the clock: face to face, the
    /// child seen, and completed or later. A NOT_SEEN attempt (childSeen false), a phone, video or
    /// message contact, a draft and a cancelled visit never count.
    public var isQualifying: Bool {
        contactMode == "FACE_TO_FACE" && childSeen == true && Self.countingStates.contains(state)
    }
}
