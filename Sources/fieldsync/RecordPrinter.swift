import FieldSyncClient
import FieldSyncProtocol
import Foundation

/// Text output for people.
enum RecordPrinter {
    static func line(_ record: LocalRecord) -> String {
        let s = record.snapshot
        let flags =
            (record.pending ? " (unsent)" : "")
            + (s.conflicts.isEmpty ? "" : " (\(s.conflicts.count) conflict\(s.conflicts.count == 1 ? "" : "s"))")
        return
            "\(s.id.uuidString.lowercased())  \(s.kind.rawValue)  \(s.state)  young person \(s.youngPerson.uuidString.lowercased())  v\(s.version)\(flags)"
    }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        default:
            let encoder = WireProtocol.makeEncoder()
            return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "?"
        }
    }

    static func describe(_ record: LocalRecord) -> String {
        let s = record.snapshot
        var lines = [line(record)]
        lines.append(
            "created by \(s.createdBy) at \(s.createdAt); last changed by \(s.updatedBy) at \(s.updatedAt)\(s.deleted ? "; DELETED" : "")")
        let conflicted = Dictionary(grouping: s.conflicts) { String($0.field.prefix { $0 != "[" && $0 != "." }) }
        for name in s.kind.schema.fieldOrder {
            let value = s.fields[name]
            let marks =
                conflicted[name].map { cs in "  ⚠ in conflict: " + cs.map { $0.id.uuidString.lowercased() }.joined(separator: ", ") } ?? ""
            guard let value else {
                if !marks.isEmpty { lines.append("\(name): (empty)\(marks)") }
                continue
            }
            let text = render(value)
            if text.contains("\n") {
                lines.append("\(name):\(marks)")
                lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" })
            } else {
                lines.append("\(name): \(text)\(marks)")
            }
        }
        if let whole = conflicted["(record)"] {
            lines.append("⚠ delete/edit conflict: " + whole.map { $0.id.uuidString.lowercased() }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ c: Conflict) -> String {
        """
        conflict \(c.id.uuidString.lowercased()) on record \(c.record.uuidString.lowercased()), field \(c.field)
        opened \(c.openedAt); held value written by \(c.heldBy.user) on device \(c.heldBy.device.uuidString.lowercased()) at \(c.heldBy.madeAt) (device clock)
        --- base (both started from):
        \(render(c.base))
        --- current (stays until resolved):
        \(render(c.current))
        --- held (\(c.heldBy.user)):
        \(render(c.held))
        """
    }

    static func describe(_ page: HistoryPage) -> String {
        var lines = page.versions.map { v in
            let fields = v.changes.fields.map { $0.keys.sorted().joined(separator: ", ") } ?? ""
            var what = [String]()
            if !fields.isEmpty { what.append("fields: \(fields)") }
            if let state = v.changes.state { what.append("state: \(state)") }
            if v.changes.deleted == true { what.append("deleted") }
            if let opened = v.changes.conflictsOpened { what.append("conflicts opened: \(opened.count)") }
            if let resolved = v.changes.conflictResolved { what.append("resolved \(resolved.uuidString.lowercased())") }
            return
                "v\(v.version)  \(v.by.receivedAt)  \(v.by.user)  device \(v.by.device.uuidString.lowercased().prefix(8))  \(v.operation.rawValue) (\(v.outcome.rawValue))  \(what.joined(separator: "; "))"
        }
        for r in page.rejections {
            lines.append("refused  \(r.receivedAt)  \(r.by)  \(r.operation.op.rawValue): \(r.message) [\(r.code)]")
        }
        return lines.isEmpty ? "No history." : lines.joined(separator: "\n")
    }
}
