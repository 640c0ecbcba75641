import FieldSyncCompliance
import FieldSyncProtocol
import Foundation
import GRDB

/// The compliance report for the young people in a user's scope: statutory visits and PEPs,
/// computed by ``ComplianceRules`` from the stored records and the young people's facts.
struct ComplianceReport: Sendable {
    let database: ServerDatabase
    let dataDirectory: String

    static let bankHolidayFile = "bank-holidays.txt"

    /// The working-day calendar: the data folder's `bank-holidays.txt` if an admin installed one,
    /// else the list FieldSync ships.
    func calendar() throws -> WorkingDayCalendar {
        let path = (dataDirectory as NSString).appendingPathComponent(Self.bankHolidayFile)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return .englandAndWales }
        return try WorkingDayCalendar(bankHolidaysText: text)
    }

    func rows(for device: AuthenticatedDevice, team: String?, asOf: CalendarDay) async throws -> [ComplianceRow] {
        let calendar = try calendar()
        return try await database.pool.read { db in
            let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
            var youngPeople: [String]
            if scope.allYoungPeople {
                youngPeople = try String.fetchAll(db, sql: "SELECT id FROM young_people ORDER BY id")
            } else {
                youngPeople = scope.youngPeople.map(\.uuidString).sorted()
            }
            if let team {
                let inTeam = Set(try AccessScope.keyWorkedBy(team: team, in: db).map(\.uuidString))
                youngPeople = youngPeople.filter { inTeam.contains($0) }
            }
            let decoder = WireProtocol.makeDecoder()
            return try youngPeople.map { yp in
                let facts = try Data.fetchOne(db, sql: "SELECT facts FROM young_people WHERE id = ?", arguments: [yp]).map {
                    try decoder.decode(YoungPersonFacts.self, from: $0)
                }
                let keyWorker = try String.fetchOne(
                    db, sql: "SELECT user_name FROM allocations WHERE young_person = ? AND role = 'key' AND ended_at IS NULL",
                    arguments: [yp])
                guard let facts else {
                    return ComplianceRow(
                        youngPerson: yp.lowercased(), cohort: nil, keyWorker: keyWorker,
                        visits: VisitCompliance(
                            lastQualifyingVisit: nil, rule: "NONE", due: nil, status: .noRule,
                            explanation:
                                "No facts are recorded for this young person; an admin records them with: fieldsync-server admin young-person set --id \(yp.lowercased()) --cohort CLA|CARE_LEAVER …"
                        ),
                        pep: nil)
                }
                var visits: [VisitFact] = []
                var peps: [PepFact] = []
                for row in try Row.fetchAll(
                    db, sql: "SELECT kind, document FROM records WHERE young_person = ? AND deleted = 0", arguments: [yp])
                {
                    let record = try decoder.decode(RecordSnapshot.self, from: row["document"] as Data)
                    switch record.kind {
                    case .visit: if let fact = VisitFact(state: record.state, fields: record.fields) { visits.append(fact) }
                    case .pep: if let fact = PepFact(state: record.state, fields: record.fields) { peps.append(fact) }
                    }
                }
                let pep = scope.kinds.contains(.pep) ? ComplianceRules.pep(for: facts, peps: peps, asOf: asOf, calendar: calendar) : nil
                let visitLine =
                    scope.kinds.contains(.visit)
                    ? ComplianceRules.visits(for: facts, visits: visits, asOf: asOf)
                    : VisitCompliance(
                        lastQualifyingVisit: nil, rule: "NONE", due: nil, status: .noRule,
                        explanation: "Visit records are outside your role's scope.")
                return ComplianceRow(
                    youngPerson: yp.lowercased(), cohort: facts.cohort.rawValue, keyWorker: keyWorker, visits: visitLine, pep: pep)
            }
        }
    }
}
