import Foundation

/// The PEP draft: fields from the domain model (section 2.3) and the PEP lifecycle (3.2).
public enum PepSchema {
    public static let yearGroups = ["N1", "N2", "R"] + (1...13).map { "Y\($0)" }
    public static let settingTypes = [
        "MAINTAINED", "ACADEMY", "SPECIAL", "INDEPENDENT", "PRU_AP", "EY_SETTING", "FE_COLLEGE", "NONE",
    ]
    public static let targetAreas = [
        "ACADEMIC", "SEMH", "ATTENDANCE", "BEHAVIOUR", "EY_DEVELOPMENT", "ASPIRATION_CAREERS", "OUT_OF_SCHOOL",
        "LEARNING_SUPPORT",
    ]
    public static let targetStatuses = [
        "NOT_STARTED", "IN_PROGRESS", "ACHIEVED", "PARTLY_ACHIEVED", "NOT_ACHIEVED", "CARRIED_FORWARD",
    ]
    public static let states = [
        "INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "SUBMITTED", "IN_QA", "FINALISED",
        "RETURNED_FOR_AMENDMENT", "SUPERSEDED",
    ]

    public static let target = ListSchema(itemFields: [
        "area": .oneOf(targetAreas),
        "specific": .shortText,
        "measure": .shortText,
        "baseline": .shortText,
        "strategies": .shortText,
        "ownerType": .oneOf(["STAFF", "DT", "CARER", "CHILD", "EXTERNAL"]),
        "ownerLabel": .label,
        "startDate": .date,
        "dueDate": .date,
        "status": .oneOf(targetStatuses),
        "reviewComment": .shortText,
    ])

    public static let ppPlusRequest = ListSchema(itemFields: [
        "targetId": .scalar(.uuid),
        "intervention": .shortText,
        "provider": .label,
        "amountPence": .scalar(.integer(min: 0, max: 10_000_000)),
        "frequency": .oneOf(["ONE_OFF", "TERMLY", "ANNUAL", "REGULAR"]),
        "periodStart": .date,
        "periodEnd": .date,
        "status": .oneOf(["DRAFT", "REQUESTED", "APPROVED", "PART_APPROVED", "DECLINED", "PAID", "IMPACT_REVIEWED"]),
        "approvedPence": .scalar(.integer(min: 0, max: 10_000_000)),
        "decisionReason": .shortText,
        "impactEvidence": .shortText,
    ])

    public static let schema = RecordSchema(
        kind: .pep,
        fields: [
            FieldSpec("academicYear", .scalar(.string(maxLength: 7)), "The academic year, written 2025/26."),
            FieldSpec("term", .oneOf(["AUTUMN", "SPRING", "SUMMER"]), "The school term this PEP covers."),
            FieldSpec(
                "pepType", .oneOf(["INITIAL", "TERMLY_REVIEW", "CHANGE_OF_SETTING", "TRANSITION", "INTERIM_HOLIDAY"]),
                "Why this PEP is being written."),
            FieldSpec(
                "template", .oneOf(["EARLY_YEARS", "KS1_2", "KS3", "KS4", "EHCP_CROSS_PHASE", "POST16"]),
                "The PEP template in use."),
            FieldSpec("meetingDate", .instant, "When the PEP meeting was held."),
            FieldSpec(
                "attendees",
                .list(
                    ListSchema(itemFields: [
                        "role": .oneOf(["CHILD", "CARER", "PARENT", "SW", "DT", "VSO", "IRO", "SENCO", "OTHER"]),
                        "attended": .flag, "contributedInWriting": .flag,
                    ])),
                "Who was invited to the meeting and who attended."),
            FieldSpec("childAttendedReason", .shortText, "Why the child did not attend, if they did not."),
            FieldSpec(
                "setting",
                .scalar(
                    .object([
                        "urn": .string(maxLength: 20), "name": .string(maxLength: 200), "type": .enumeration(settingTypes),
                        "ofstedOutcome": .string(maxLength: 100), "enrolmentDate": .date, "homeLA": .string(maxLength: 100),
                        "outOfCounty": .boolean,
                    ])),
                "The education setting."),
            FieldSpec("yearGroup", .oneOf(yearGroups), "National curriculum year group."),
            FieldSpec(
                "designatedTeacher",
                .scalar(.object(["name": .string(maxLength: 200), "email": .string(maxLength: 200)])),
                "The designated teacher."),
            FieldSpec(
                "sen",
                .scalar(
                    .object([
                        "status": .enumeration(["NONE", "SEN_SUPPORT", "EHCP", "EHC_ASSESSMENT"]), "ehcpReviewDue": .date,
                        "primaryNeed": .string(maxLength: 200),
                    ])),
                "Special educational needs."),
            FieldSpec("careSummaryForSchool", .longText, "Summary of the care plan for the school (social worker)."),
            FieldSpec("healthRelevantToSchool", .longText, "Health information relevant to school."),
            FieldSpec(
                "sdq",
                .scalar(
                    .object([
                        "completedOn": .date, "informant": .enumeration(["CARER", "TEACHER", "SELF"]),
                        "totalDifficulties": .integer(min: 0, max: 40),
                    ])),
                "Strengths and Difficulties Questionnaire: total difficulties 0 to 40."),
            FieldSpec("sdqActions", .longText, "Actions arising from the SDQ."),
            FieldSpec(
                "attendance",
                .scalar(
                    .object([
                        "periodStart": .date, "periodEnd": .date,
                        "sessionsPossible": .integer(min: 0, max: 1_000), "sessionsAttended": .integer(min: 0, max: 1_000),
                        "authorisedAbsences": .integer(min: 0, max: 1_000), "unauthorisedAbsences": .integer(min: 0, max: 1_000),
                        "source": .enumeration(["SCHOOL_MIS", "WELFARE_CALL", "MANUAL"]),
                    ])),
                "Attendance for the period."),
            FieldSpec(
                "exclusions",
                .list(
                    ListSchema(itemFields: [
                        "type": .oneOf(["SUSPENSION", "PERMANENT"]), "startDate": .date,
                        "days": .scalar(.decimal(min: 0, max: 365)), "reason": .shortText,
                    ])),
                "Suspensions and exclusions."),
            FieldSpec(
                "attainment",
                .list(
                    ListSchema(itemFields: [
                        "subject": .label, "measure": .label, "current": .label, "target": .label,
                        "trajectory": .oneOf(["ABOVE", "ON_TRACK", "BELOW", "WELL_BELOW"]), "comment": .shortText,
                    ])),
                "Attainment by subject."),
            FieldSpec("strengths", .longText, "The child's strengths."),
            FieldSpec("barriersAndNeeds", .longText, "Barriers to learning and needs."),
            FieldSpec(
                "postSixteen",
                .scalar(
                    .object([
                        "eetStatus": .string(maxLength: 100), "intendedDestination": .string(maxLength: 200),
                        "course": .string(maxLength: 200),
                    ])),
                "Post-16 plans (Y11 and above)."),
            FieldSpec("targets", .list(target), "SMART targets: each needs a measure, an owner and a due date."),
            FieldSpec("ppPlusRequests", .list(ppPlusRequest), "Pupil Premium Plus requests, in integer pence."),
            FieldSpec("childVoice", .longText, "The child's voice: their views in their own words."),
            FieldSpec(
                "childVoiceMethod", .oneOf(VisitSchema.childViewsMethods), "How the child's voice was gathered."),
            FieldSpec("carerVoice", .longText, "The carer's voice."),
            FieldSpec("parentViews", .longText, "The parents' views, where appropriate."),
            FieldSpec("meetingNotes", .longText, "Notes of the PEP meeting."),
            FieldSpec("nextPepDate", .date, "When the next PEP is due."),
            FieldSpec("qaRating", .oneOf(["GOLD", "GREEN", "AMBER", "RED"]), "The Virtual School's quality rating."),
            FieldSpec("qaFeedback", .longText, "The Virtual School's QA feedback."),
        ],
        lifecycle: Lifecycle(
            initialStates: ["INITIATED", "DRAFTING"],
            defaultInitialState: "INITIATED",
            transitions: [
                "INITIATED": ["DRAFTING"],
                "DRAFTING": ["MEETING_HELD"],
                "MEETING_HELD": ["READY_TO_SUBMIT", "DRAFTING"],
                "READY_TO_SUBMIT": ["SUBMITTED", "MEETING_HELD"],
                "SUBMITTED": ["IN_QA"],
                "IN_QA": ["FINALISED", "RETURNED_FOR_AMENDMENT"],
                "RETURNED_FOR_AMENDMENT": ["SUBMITTED", "READY_TO_SUBMIT"],
                "FINALISED": ["SUPERSEDED"],
            ],
            editableStates: ["INITIATED", "DRAFTING", "MEETING_HELD", "READY_TO_SUBMIT", "RETURNED_FOR_AMENDMENT"],
            deletableStates: ["INITIATED"],
            returnStates: ["RETURNED_FOR_AMENDMENT"],
            entryChecks: [
                "MEETING_HELD": meetingProblems,
                "READY_TO_SUBMIT": readinessProblems,
                "SUBMITTED": readinessProblems,
                "FINALISED": { f in f["qaRating"] == nil ? ["Give the QA rating (qaRating: GOLD, GREEN, AMBER or RED)."] : [] },
            ]
        )
    )

    @Sendable static func meetingProblems(_ f: [String: JSONValue]) -> [String] {
        var problems: [String] = []
        if f["meetingDate"]?.stringValue == nil { problems.append("Enter the meeting date (meetingDate).") }
        if (f["attendees"]?.arrayValue ?? []).isEmpty { problems.append("Record who attended the meeting (attendees).") }
        return problems
    }

    /// What a PEP must hold before the designated teacher can mark it ready (domain model 3.2).
    @Sendable static func readinessProblems(_ f: [String: JSONValue]) -> [String] {
        var problems = meetingProblems(f)
        func missing(_ name: String) -> Bool {
            guard let v = f[name] else { return true }
            if case .string(let s) = v { return s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            return v.isNull
        }
        for name in [
            "academicYear", "term", "pepType", "template", "setting", "yearGroup", "careSummaryForSchool", "strengths",
            "barriersAndNeeds", "childVoice", "carerVoice", "nextPepDate",
        ] where missing(name) {
            problems.append("Fill in \(name).")
        }
        let targets = (f["targets"]?.arrayValue ?? []).compactMap(\.objectValue)
        if targets.isEmpty { problems.append("Add at least one SMART target (targets).") }
        for (n, t) in targets.enumerated() {
            var lacking: [String] = []
            if (t["measure"]?.stringValue ?? "").isEmpty { lacking.append("a measure") }
            if t["ownerType"]?.stringValue == nil { lacking.append("an owner") }
            if t["dueDate"]?.stringValue == nil { lacking.append("a due date") }
            if !lacking.isEmpty {
                let id = t["id"]?.stringValue ?? "#\(n + 1)"
                problems.append("Target \(id) is not SMART yet: give it \(lacking.joined(separator: ", ")).")
            }
        }
        return problems
    }
}
