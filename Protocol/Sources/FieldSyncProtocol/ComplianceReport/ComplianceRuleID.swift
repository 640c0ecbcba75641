/// The rule ids of domain model §4, as reported in ``VisitCompliance/rule`` and
/// ``PepCompliance/rule``.
public enum ComplianceRuleID {
    /// Child in care: within one week of the start of a placement (reg 28(2)(a)).
    public static let visitAfterPlacementStart = "V-START"
    /// Child in care: at most 6 weeks apart in the first year of the placement (reg 28(2)(b)).
    public static let visitFirstYear = "V-Y1"
    /// Child in care, after the first year, placement intended to last until 18: at most 3 months
    /// apart (reg 28(2)(c)(i)).
    public static let visitLongTerm = "V-LT"
    /// Child in care, after the first year, any other placement: at most 6 weeks apart (reg 28(2)(c)(ii)).
    public static let visitOther = "V-OTHER"
    /// Care leaver: within 7 days of accommodation first being provided (Care Leavers Regs reg 8(2)).
    public static let careLeaverNewAccommodation = "CL-ACC7"
    /// Care leaver: at most 2 calendar months apart (Care Leavers Regs reg 8(2)).
    public static let careLeaverTwoMonths = "CL-2M"
    /// Care leaver: the local standard, face to face every 8 weeks.
    public static let careLeaverEightWeeks = "CL-8W"
    /// PEP: available for the first looked-after review, 20 working days after entering care.
    public static let pepInitial = "P-INIT"
    /// PEP: reviewed every school term.
    public static let pepTermly = "P-TERM"
    /// No rule applies (status ``ComplianceStatus/noRule``).
    public static let none = "NONE"
}
