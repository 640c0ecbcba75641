import Foundation

/// The visit record: fields from the domain model (section 2.2) and the visit lifecycle (3.1).
public enum VisitSchema {
    public static let kinds = [
        "CLA_STATUTORY", "CLA_PLACEMENT_START", "CLA_ADDITIONAL_REQUESTED", "CLA_AFTER_COMPLAINT",
        "PA_CONTACT_VISIT", "PA_NEW_ACCOMMODATION", "PA_PRE_PATHWAY_REVIEW", "JOINT_SW_PA", "UNANNOUNCED",
        "DUTY_COVER", "OTHER",
    ]
    public static let contactModes = ["FACE_TO_FACE", "VIDEO", "PHONE", "MESSAGE"]
    public static let locationTypes = [
        "FOSTER_HOME", "CONNECTED_CARER_HOME", "CHILDRENS_HOME", "SUPPORTED_ACCOM", "STAYING_PUT", "OWN_TENANCY",
        "PARENT_HOME", "SCHOOL_COLLEGE", "UNIVERSITY", "CUSTODY", "HOSPITAL", "COMMUNITY", "OFFICE", "OTHER",
    ]
    /// Care Planning Regs 2010 reg 29(a) to (c).
    public static let notSeenAloneReasons = ["REFUSED", "INAPPROPRIATE_AGE_UNDERSTANDING", "UNABLE"]
    public static let childViewsMethods = [
        "CONVERSATION", "MOMO_STATEMENT", "DIRECT_WORK_TOOL", "OBSERVATION_PREVERBAL", "WRITTEN",
    ]
    public static let personRoles = [
        "CHILD", "CARER", "PARENT", "SIBLING", "RESIDENTIAL_STAFF", "PROFESSIONAL", "INTERPRETER", "OTHER",
    ]
    public static let wellbeingDomains = [
        "HEALTH", "EDUCATION_EET", "FAMILY_TIME", "PLACEMENT_STABILITY", "ACCOMMODATION", "FINANCE", "EMOTIONAL",
        "IDENTITY", "INDEPENDENCE_SKILLS",
    ]
    public static let riskFlagKinds = [
        "MISSING", "EXPLOITATION_CSE", "EXPLOITATION_CCE", "SELF_HARM", "SUBSTANCE", "PLACEMENT_AT_RISK",
        "ACCOMMODATION_AT_RISK", "SAFEGUARDING", "HEALTH", "NEET", "IMMIGRATION", "LOST_CONTACT", "OTHER",
    ]
    public static let severities = ["LOW", "MEDIUM", "HIGH"]

    /// An action agreed at a visit; also used by PEP-adjacent records.
    public static let actionItem = ListSchema(itemFields: [
        "description": .shortText,
        "ownerType": .oneOf(["STAFF", "YP", "CARER", "EXTERNAL"]),
        "ownerLabel": .label,
        "dueDate": .date,
        "status": .oneOf(["OPEN", "DONE", "CANCELLED"]),
        "completedOn": .date,
    ])

    public static let states = [
        "SCHEDULED", "DRAFT", "COMPLETED", "SUBMITTED", "AUTHORISED", "RETURNED", "CANCELLED",
    ]

    public static let schema = RecordSchema(
        kind: .visit,
        fields: [
            FieldSpec("kind", .oneOf(kinds), "What sort of visit this is; drives the compliance rule."),
            FieldSpec("purpose", .shortText, "Why this visit happened, linked to the plan."),
            FieldSpec("planRefs", .scalar(.stringList(maxCount: 50, maxLength: 100)), "Care or pathway plan objective ids."),
            FieldSpec("contactMode", .oneOf(contactModes), "How the contact happened."),
            FieldSpec("announced", .flag, "Whether the visit was announced."),
            FieldSpec("scheduledStart", .instant, "When the visit was planned to start."),
            FieldSpec("actualStart", .instant, "When the visit started."),
            FieldSpec("actualEnd", .instant, "When the visit ended."),
            FieldSpec("locationType", .oneOf(locationTypes), "Where the visit took place (no addresses)."),
            FieldSpec("outOfArea", .flag, "Whether the location is outside the authority's area."),
            FieldSpec(
                "personsSeen",
                .list(ListSchema(itemFields: ["role": .oneOf(personRoles), "label": .label])),
                "Who was seen, by role."),
            FieldSpec("childSeen", .flag, "Whether the child or young person was seen."),
            FieldSpec("childSeenAlone", .flag, "Whether the child was seen alone (reg 29)."),
            FieldSpec("notSeenAloneReason", .oneOf(notSeenAloneReasons), "Why the child was not seen alone (reg 29(a)-(c))."),
            FieldSpec("notSeenAloneDetail", .shortText, "More on why the child was not seen alone."),
            FieldSpec("notSeenReason", .shortText, "Why the child was not seen at all."),
            FieldSpec("bedroomSeen", .flag, "Whether the child's bedroom was seen."),
            FieldSpec(
                "interpreter",
                .scalar(.object(["used": .boolean, "language": .string(maxLength: 100)])),
                "Whether an interpreter was used, and the language."),
            FieldSpec("childViews", .longText, "The child's views, in their own words."),
            FieldSpec("childViewsMethod", .oneOf(childViewsMethods), "How the child's views were gathered."),
            FieldSpec("carerViews", .longText, "The carer's views."),
            FieldSpec("observations", .longText, "What was seen: home, presentation, relationships."),
            FieldSpec("analysis", .longText, "The thinking behind decisions."),
            FieldSpec(
                "wellbeingChecklist",
                .list(
                    ListSchema(itemFields: [
                        "domain": .oneOf(wellbeingDomains), "status": .oneOf(["OK", "CONCERN", "NOT_DISCUSSED"]),
                        "note": .shortText,
                    ])),
                "Wellbeing domains discussed."),
            FieldSpec(
                "riskFlags",
                .list(
                    ListSchema(itemFields: [
                        "flag": .oneOf(riskFlagKinds), "severity": .oneOf(severities), "escalate": .flag,
                        "note": .shortText,
                    ])),
                "Risks raised; escalate=true notifies the team manager."),
            FieldSpec("actions", .list(actionItem), "Actions agreed, each with an owner and a due date."),
            FieldSpec("nextVisitDue", .date, "When the next visit is due."),
            FieldSpec("managerNote", .longText, "The team manager's oversight note."),
            FieldSpec(
                "addenda", .list(ListSchema(itemFields: ["text": .longText, "addedOn": .date])),
                "Corrections and additions after authorisation: appended, never edited."),
        ],
        lifecycle: Lifecycle(
            initialStates: ["DRAFT", "SCHEDULED"],
            defaultInitialState: "DRAFT",
            transitions: [
                "SCHEDULED": ["DRAFT", "CANCELLED"],
                "DRAFT": ["COMPLETED"],
                "COMPLETED": ["DRAFT", "SUBMITTED"],
                "SUBMITTED": ["AUTHORISED", "RETURNED", "COMPLETED"],
                "RETURNED": ["SUBMITTED", "DRAFT"],
            ],
            editableStates: ["SCHEDULED", "DRAFT", "COMPLETED", "RETURNED"],
            deletableStates: ["SCHEDULED", "DRAFT"],
            returnStates: ["RETURNED"],
            entryChecks: [
                "COMPLETED": completionProblems,
                "SUBMITTED": completionProblems,
            ]
        )
    )

    /// What a visit must have before it can be completed (domain model 3.1: DRAFT → COMPLETED).
    @Sendable static func completionProblems(_ f: [String: JSONValue]) -> [String] {
        var problems: [String] = []
        func missing(_ name: String) -> Bool {
            guard let v = f[name] else { return true }
            if case .string(let s) = v { return s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            return v.isNull
        }
        for (name, why) in [
            ("kind", "the kind of visit"), ("contactMode", "the contact mode"), ("locationType", "the location type"),
            ("actualStart", "when the visit started (actualStart)"), ("actualEnd", "when it ended (actualEnd)"),
            ("childSeen", "whether the child was seen (childSeen)"), ("observations", "your observations"),
            ("analysis", "your analysis"), ("nextVisitDue", "when the next visit is due (nextVisitDue)"),
        ] where missing(name) {
            problems.append("Fill in \(why).")
        }
        if let start = f["actualStart"]?.stringValue.flatMap(WireTime.parse),
            let end = f["actualEnd"]?.stringValue.flatMap(WireTime.parse), end < start
        {
            problems.append("actualEnd is before actualStart; correct the visit times.")
        }
        switch f["childSeen"]?.boolValue {
        case true?:
            if missing("childSeenAlone") {
                problems.append("Say whether the child was seen alone (childSeenAlone), as reg 29 requires.")
            } else if f["childSeenAlone"]?.boolValue == false, missing("notSeenAloneReason") {
                problems.append(
                    "Give the reason the child was not seen alone (notSeenAloneReason: REFUSED, INAPPROPRIATE_AGE_UNDERSTANDING or UNABLE)."
                )
            }
            if missing("childViews") {
                problems.append("Record the child's views (childViews), or say they could not express them and how you tried.")
            }
            if missing("childViewsMethod") {
                problems.append("Say how the child's views were gathered (childViewsMethod).")
            }
        case false?:
            if missing("notSeenReason") { problems.append("Say why the child was not seen (notSeenReason).") }
        case nil:
            break
        }
        return problems
    }
}
