import FieldSyncProtocol
import Foundation

/// Writes exported records as JSON, NDJSON or CSV, one record at a time (constant memory).
///
/// CSV: one row per record; the record's id, kind, young person, state, version and authorship,
/// then one column per field of the kinds exported, in the schema's order. Written spreadsheet-safe
/// (``SpreadsheetCSV``: UTF-8 with a BOM, formula-like values neutralised with a leading
/// apostrophe, quoted by RFC 4180 where needed so line breaks survive); objects become
/// `member: value; …`; lists of items become `member: value; … | member: value; …` (item ids left
/// out); lists of strings are joined with `; `.
struct ExportWriter {
    let format: ExportFormat
    let out: FileHandle
    let columns: [String]
    private var first = true

    static let fixedColumns = ["id", "recordKind", "youngPerson", "state", "version", "createdBy", "createdAt", "updatedBy", "updatedAt"]

    init(format: ExportFormat, out: FileHandle, kinds: [RecordKind]) {
        self.format = format
        self.out = out
        var fields: [String] = []
        for kind in kinds { for name in kind.schema.fieldOrder where !fields.contains(name) { fields.append(name) } }
        self.columns = fields
    }

    mutating func begin() {
        switch format {
        case .json: emit("{\"records\":[")
        case .csv: emit(SpreadsheetCSV.byteOrderMark + SpreadsheetCSV.row(Self.fixedColumns + columns))
        case .ndjson: break
        }
    }

    mutating func write(record: RecordSnapshot, raw: Data) {
        switch format {
        case .ndjson:
            writeRaw(raw)
        case .json:
            if !first { emit(",") }
            first = false
            out.write((try? WireProtocol.makeEncoder().encode(record)) ?? Data())
        case .csv:
            let fixed = [
                record.id.uuidString.lowercased(), record.kind.rawValue, record.youngPerson.uuidString.lowercased(), record.state,
                String(record.version), record.createdBy, record.createdAt, record.updatedBy, record.updatedAt,
            ]
            let values = columns.map { Self.flatten(record.fields[$0]) }
            emit(SpreadsheetCSV.row(fixed + values))
        }
    }

    func writeRaw(_ line: Data) {
        out.write(line)
        out.write(Data("\n".utf8))
    }

    mutating func end(_ summary: ExportSummary) {
        guard format == .json else { return }
        let encoder = WireProtocol.makeEncoder()
        let tail =
            "],\"notReconciled\":" + String(decoding: (try? encoder.encode(summary.notReconciled)) ?? Data("[]".utf8), as: UTF8.self)
            + ",\"unsentOnDevices\":" + String(decoding: (try? encoder.encode(summary.unsentOnDevices)) ?? Data("[]".utf8), as: UTF8.self)
            + ",\"cursor\":\"\(summary.cursor)\"}\n"
        emit(tail)
    }

    func emit(_ text: String) { out.write(Data(text.utf8)) }

    static func flatten(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .object(let members):
            return members.filter { $0.key != "id" && !$0.value.isNull }.sorted { $0.key < $1.key }
                .map { "\($0.key): \(flatten($0.value))" }.joined(separator: "; ")
        case .array(let items):
            if items.allSatisfy({ $0.stringValue != nil }) { return items.map { flatten($0) }.joined(separator: "; ") }
            return items.map { flatten($0) }.joined(separator: " | ")
        }
    }
}
