import FieldSyncProtocol
import Foundation

/// Output formats of `fieldsync export --reconciled`.
public enum ExportFormat: String, Sendable, CaseIterable {
    case json, ndjson, csv
}

/// What an export wrote, and what is not reconciled yet.
public struct ExportSummary: Codable, Sendable {
    public struct NotReconciled: Codable, Sendable {
        public let id: String
        public let kind: String
        public let youngPerson: String
        public let state: String
        public let version: Int64
        public let reason: String
    }
    public struct UnsentOnDevice: Codable, Sendable {
        public let device: String
        public let user: String
        public let unsent: Int
        public let oldestUnsentSeconds: Int?
        public let lastSeenAt: String?
    }
    public var cursor: String = ""
    public var records = 0
    public var notReconciled: [NotReconciled] = []
    public var unsentOnDevices: [UnsentOnDevice] = []
    public var output: String?
}

extension FieldSyncDevice {
    /// Streams the reconciled export into `output` (stdout when nil) in the given format.
    public func exportReconciled(
        since: String?, team: String?, kind: RecordKind?, format: ExportFormat, output: String?,
        progress: (@Sendable (SyncProgress) -> Void)? = nil
    ) async throws(ClientError) -> ExportSummary {
        try requireCaseAccess()
        // The answer waits, sealed with a key only this process holds, beside the store
        // (``SealedSpool``): never in plaintext on the disk, and never in a shared temporary folder.
        let spool = try SealedSpool(in: (store.path as NSString).deletingLastPathComponent)
        var query: [URLQueryItem] = []
        if let since { query.append(URLQueryItem(name: "since", value: since)) }
        if let team { query.append(URLQueryItem(name: "team", value: team)) }
        if let kind { query.append(URLQueryItem(name: "kind", value: kind.rawValue)) }
        let answer = try await withConnection { connection throws(ClientError) in
            try await connection.stream("v1/export", query: query, accept: "application/x-ndjson") { chunk in spool.append(chunk) }
        }
        if let failure = spool.failure { throw failure }
        guard answer.status == 200 else { throw Self.refusal(answer) }
        // Logged before any of it is written out: an export that cannot be logged is not made.
        var firstRead = spool.lines()
        let viewed = Self.exportedRecords(in: &firstRead)
        if let failure = spool.failure { throw failure }
        try logView(.export, viewed, destination: output == nil ? "stdout" : "file")

        let out: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let h = FileHandle(forWritingAtPath: output) else {
                throw ClientError("unwritable_output", "Cannot write the export to \(output).")
            }
            out = h
        } else {
            out = FileHandle.standardOutput
        }
        defer { if output != nil { try? out.close() } }
        var lines = spool.lines()
        var summary = ExportSummary(output: output)
        var writer = ExportWriter(format: format, out: out, kinds: kind.map { [$0] } ?? RecordKind.allCases)
        writer.begin()
        let decoder = WireProtocol.makeDecoder()
        // Bounded by the file's lines.
        while let line = lines.next() {
            if line.isEmpty { continue }
            guard let type = Self.lineType(line) else { continue }
            do {
                switch type {
                case "record" where format == .ndjson:
                    // Passed through as the server wrote it: no decoding on the way.
                    writer.writeRaw(line)
                    summary.records += 1
                    progress?(SyncProgress(phase: "exported", done: summary.records))
                case "record":
                    struct Wrapped: Decodable { let record: RecordSnapshot }
                    let record = try decoder.decode(Wrapped.self, from: line).record
                    writer.write(record: record, raw: line)
                    summary.records += 1
                    progress?(SyncProgress(phase: "exported", done: summary.records))
                case "notReconciled":
                    summary.notReconciled.append(try decoder.decode(ExportSummary.NotReconciled.self, from: line))
                    if format == .ndjson { writer.writeRaw(line) }
                case "unsentOnDevice":
                    summary.unsentOnDevices.append(try decoder.decode(ExportSummary.UnsentOnDevice.self, from: line))
                    if format == .ndjson { writer.writeRaw(line) }
                case "end":
                    struct End: Decodable { let cursor: String }
                    summary.cursor = try decoder.decode(End.self, from: line).cursor
                    if format == .ndjson { writer.writeRaw(line) }
                default:
                    continue
                }
            } catch {
                throw ClientError("bad_answer", "A line of the export could not be read: \(error)")
            }
        }
        if let failure = spool.failure { throw failure }
        writer.end(summary)
        return summary
    }

    /// The records an export holds (its `record` lines), for the view log.
    static func exportedRecords(in lines: inout LineReader) -> [ViewedRecord] {
        struct Line: Decodable {
            struct Record: Decodable {
                let id: UUID
                let youngPerson: UUID
            }
            let type: String
            let record: Record?
        }
        let decoder = WireProtocol.makeDecoder()
        var records: [ViewedRecord] = []
        // Bounded by the file's lines.
        while let line = lines.next() {
            guard !line.isEmpty, let parsed = try? decoder.decode(Line.self, from: line), parsed.type == "record",
                let record = parsed.record
            else { continue }
            records.append(ViewedRecord(id: record.id, youngPerson: record.youngPerson))
        }
        return records
    }

    /// The `type` member of an export line, found without decoding the whole line.
    static func lineType(_ line: Data) -> String? {
        struct Typed: Decodable { let type: String }
        return try? WireProtocol.makeDecoder().decode(Typed.self, from: line).type
    }
}
