import FieldSyncProtocol

/// A school term, placed by fixed calendar dates.
///
/// A design simplification [D]: AUTUMN is 1 September to 31 December, SPRING 1 January to 31 March
/// and SUMMER 1 April to 31 August, whatever the child's school calendar says. Real term dates
/// differ by school and by year (Easter moves; out-of-county schools differ), and the holidays
/// fall inside these ranges. The academic year starts in September.
public struct SchoolTerm: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Name: String, Sendable, Hashable, Codable, CaseIterable {
        case autumn = "AUTUMN"
        case spring = "SPRING"
        case summer = "SUMMER"
    }

    /// The calendar year in which the academic year starts (2026 for 2026/27).
    public let academicYearStart: Int
    public let name: Name

    public init(academicYearStart: Int, name: Name) {
        self.academicYearStart = academicYearStart
        self.name = name
    }

    /// The term `day` falls in.
    public init(containing day: CalendarDay) {
        switch day.month {
        case 9...12: self.init(academicYearStart: day.year, name: .autumn)
        case 1...3: self.init(academicYearStart: day.year - 1, name: .spring)
        default: self.init(academicYearStart: day.year - 1, name: .summer)
        }
    }

    /// Written as PEPs write it: `2026/27`.
    public var academicYear: String {
        "\(academicYearStart)/" + CalendarDay.padded((academicYearStart + 1) % 100, width: 2)
    }

    /// The first day of the term: 1 September, 1 January or 1 April.
    public var start: CalendarDay {
        switch name {
        case .autumn: CalendarDay(unchecked: academicYearStart, 9, 1)
        case .spring: CalendarDay(unchecked: academicYearStart + 1, 1, 1)
        case .summer: CalendarDay(unchecked: academicYearStart + 1, 4, 1)
        }
    }

    /// `2026/27 AUTUMN`.
    public var description: String { "\(academicYear) \(name.rawValue)" }
}
