/// The parts of a record that the permission matrix grants separately (domain model 1.3 and 2.4).
///
/// Every field of every kind belongs to exactly one group (``of(_:in:)``); a test checks that no
/// schema field is left out, so a new field cannot slip past the matrix.
public enum FieldGroup: String, Sendable, CaseIterable, Codable {
    // Visit records.
    /// Everything the visiting worker records: what happened, who was seen, views, analysis, actions.
    case visitContent
    /// The team manager's oversight note (`managerNote`).
    case managerOversight
    /// Corrections and additions after authorisation (`addenda`): appended, never changed.
    case addenda

    // PEP drafts (domain model 2.4, section ownership).
    /// Header, meeting and attendees: the social worker and the designated teacher.
    case pepHeader
    /// The care (social worker) section and the SDQ: the social worker and the team manager.
    case pepCare
    /// Attendance, exclusions, attainment, strengths, barriers, post-16: the designated teacher.
    case pepEducation
    /// Targets and Pupil Premium Plus requests: the designated teacher; the Virtual School at QA.
    case pepTargets
    /// The child's, carer's and parents' voice and the meeting notes: shared by social worker and teacher.
    case pepVoice
    /// The Virtual School's QA rating and feedback.
    case pepQualityAssurance

    /// The group a field belongs to; nil for a name the kind does not have.
    public static func of(_ field: String, in kind: RecordKind) -> FieldGroup? {
        switch kind {
        case .visit: return visitGroups[field] ?? (VisitSchema.schema.field(field) == nil ? nil : .visitContent)
        case .pep: return pepGroups[field]
        }
    }

    private static let visitGroups: [String: FieldGroup] = ["managerNote": .managerOversight, "addenda": .addenda]

    private static let pepGroups: [String: FieldGroup] = {
        var groups: [String: FieldGroup] = [:]
        for name in [
            "academicYear", "term", "pepType", "template", "meetingDate", "attendees", "childAttendedReason", "setting",
            "yearGroup", "designatedTeacher", "sen", "nextPepDate",
        ] { groups[name] = .pepHeader }
        for name in ["careSummaryForSchool", "healthRelevantToSchool", "sdq", "sdqActions"] { groups[name] = .pepCare }
        for name in ["attendance", "exclusions", "attainment", "strengths", "barriersAndNeeds", "postSixteen"] {
            groups[name] = .pepEducation
        }
        for name in ["targets", "ppPlusRequests"] { groups[name] = .pepTargets }
        for name in ["childVoice", "childVoiceMethod", "carerVoice", "parentViews", "meetingNotes"] { groups[name] = .pepVoice }
        for name in ["qaRating", "qaFeedback"] { groups[name] = .pepQualityAssurance }
        return groups
    }()
}
