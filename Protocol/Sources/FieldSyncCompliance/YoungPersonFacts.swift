import FieldSyncProtocol
import Foundation

/// What the rules need to know about a young person: a small, pseudonymous extract of the
/// YoungPerson entity (domain model §2.1).
public struct YoungPersonFacts: Codable, Sendable, Hashable {
    public var id: UUID
    public var cohort: Cohort
    /// The start of the current placement (children in care).
    public var placementStart: CalendarDay?
    /// Whether the current placement is intended to last until the child is 18 (reg 28(2)(c)(i)).
    public var placementIntendedUntil18: Bool
    /// The start of the current looked-after episode; drives the first PEP (P-INIT).
    public var enteredCare: CalendarDay?
    /// Care leavers: when accommodation under s23B/s24B was first provided (reg 8(2)).
    public var accommodationStart: CalendarDay?
    /// Of PEP age: in early-years provision (or 3) up to the end of Y13.
    public var pepAge: Bool

    public init(
        id: UUID, cohort: Cohort, placementStart: CalendarDay? = nil, placementIntendedUntil18: Bool = false,
        enteredCare: CalendarDay? = nil, accommodationStart: CalendarDay? = nil, pepAge: Bool = false
    ) {
        self.id = id
        self.cohort = cohort
        self.placementStart = placementStart
        self.placementIntendedUntil18 = placementIntendedUntil18
        self.enteredCare = enteredCare
        self.accommodationStart = accommodationStart
        self.pepAge = pepAge
    }
}

/// Which visiting rules apply to a young person.
public enum Cohort: String, Codable, Sendable, Hashable, CaseIterable {
    /// A child in care: social worker visits under Care Planning Regs reg 28.
    case childInCare = "CLA"
    /// A care leaver: personal adviser visits under Care Leavers Regs reg 8.
    case careLeaver = "CARE_LEAVER"
}
