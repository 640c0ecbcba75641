import FieldSyncProtocol
import Foundation

/// Who may edit or move a record in each state (domain model 1.3, 3.1, 3.2): the segregation of
/// duties that makes an authorised visit or a finalised PEP mean something.
enum ReviewPolicy {
    struct Refusal {
        let code: RejectionCode
        let message: String
    }

    /// May this user change these fields of the record in its current state? `base` and `mine`
    /// are the fields' values before and after the edit.
    static func edit(
        _ record: RecordSnapshot, fields: [String: JSONValue], base: [String: JSONValue], by device: AuthenticatedDevice
    ) -> Refusal? {
        let role = Role(rawValue: device.role)
        let names = Set(fields.keys)
        if names.contains("managerNote"), role != .teamManager {
            return Refusal(code: .forbidden, message: "Only a team manager writes the manager's oversight note.")
        }
        if !names.isDisjoint(with: ["qaRating", "qaFeedback"]), role != .virtualSchool {
            return Refusal(code: .forbidden, message: "Only the Virtual School records the QA rating and feedback.")
        }
        if record.kind.schema.lifecycle.editableStates.contains(record.state) { return nil }
        switch (record.kind, record.state) {
        case (.visit, "SUBMITTED") where role == .teamManager && names == ["managerNote"]:
            return nil
        case (.visit, "AUTHORISED") where names == ["addenda"] && (role == .teamManager || record.createdBy == device.userName):
            let before = Set((base["addenda"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.stringValue?.lowercased() })
            let after = (fields["addenda"]?.arrayValue ?? []).compactMap(\.objectValue)
            let kept = after.filter { before.contains($0["id"]?.stringValue?.lowercased() ?? "") }
            if kept.count == before.count, after.count > before.count, kept.map({ JSONValue.object($0) }) == (base["addenda"]?.arrayValue ?? []) {
                return nil
            }
            return Refusal(code: .notEditable, message: "An authorised visit takes new addenda only; earlier addenda are never changed.")
        case (.pep, "IN_QA") where role == .virtualSchool:
            return nil
        default:
            return Refusal(code: .notEditable, message: "")  // the caller words it (stale or not)
        }
    }

    /// May this user make this move?
    static func transition(_ record: RecordSnapshot, to: String, by device: AuthenticatedDevice) -> Refusal? {
        let role = Role(rawValue: device.role)
        switch (record.kind, record.state, to) {
        case (.visit, "SUBMITTED", "AUTHORISED"), (.visit, "SUBMITTED", "RETURNED"):
            guard role == .teamManager else {
                return Refusal(code: .forbidden, message: "Only a team manager may authorise or return a submitted visit.")
            }
            if to == "AUTHORISED", record.createdBy == device.userName {
                return Refusal(code: .forbidden, message: "You wrote this visit, so another manager must authorise it (segregation of duties).")
            }
        case (.visit, "SUBMITTED", "COMPLETED"):
            guard record.createdBy == device.userName else {
                return Refusal(code: .forbidden, message: "Only the visit's author (\(record.createdBy)) may recall it.")
            }
        case (.pep, "SUBMITTED", _), (.pep, "IN_QA", _), (.pep, "FINALISED", _):
            guard role == .virtualSchool else {
                return Refusal(code: .forbidden, message: "Only the Virtual School takes a submitted PEP into QA, finalises it or returns it.")
            }
        default:
            if role == .virtualSchool, record.kind == .pep, !["INITIATED", "DRAFTING"].contains(record.state) {
                return Refusal(code: .forbidden, message: "The Virtual School reviews PEPs once submitted; the social worker and designated teacher move the draft.")
            }
        }
        return nil
    }
}
