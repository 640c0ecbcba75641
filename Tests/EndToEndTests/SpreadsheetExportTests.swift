import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

@Suite("Spreadsheet-safe CSV exports")
struct SpreadsheetExportTests {
    /// LibreOffice's headless binary, when installed (scripts/install-deps.sh installs it).
    static let soffice: String? = ["/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice", "/usr/local/bin/soffice"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let views = "Zoë's new flat — café downstairs, £40 a week.\nSays: \"It's quiet, mostly\"."
    /// Values a spreadsheet would run as formulas, set as the visit's text fields.
    static let formulas = ["analysis": "=1+1", "observations": "@SUM(1+1)", "purpose": "-2+3"]

    @Test("A CSV export starts with a UTF-8 BOM and writes formula-like values with a leading apostrophe")
    func bomAndNeutralisedValues() throws {
        let (world, csv, id) = try Self.exported()
        defer { withExtendedLifetime(world) {} }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: csv))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "UTF-8 byte-order mark first")
        let rows = try Self.readCSV(csv)
        let row = try #require(rows.first { $0["id"] == id.uuidString.lowercased() })
        #expect(rows.first?.keys.contains("id") == true, "the BOM is not part of the first column's name")
        #expect(row["childViews"] == Self.views)
        for (field, value) in Self.formulas { #expect(row[field] == "'" + value, "\(field) neutralised") }
    }

    @Test(
        "A CSV export opened by LibreOffice reads back the same text, and a formula-looking value stays inert text",
        .enabled(
            if: SpreadsheetExportTests.soffice != nil, "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"))
    func libreOfficeRoundTrip() throws {
        let soffice = try #require(Self.soffice)
        let (world, csv, id) = try Self.exported()
        defer { withExtendedLifetime(world) {} }
        // The control: a cell written without the apostrophe IS a live formula in the same import,
        // so the check below means something.
        let control = world.root.appendingPathComponent("control.csv").path
        try Data("id,analysis\r\nx,=1+1\r\n".utf8).write(to: URL(fileURLWithPath: control))

        let outDir = world.root.appendingPathComponent("libreoffice-out").path
        // Imported as a person picks it in Calc's text import dialog: comma, double quote, UTF-8,
        // from line 1, standard column types (so formulas are evaluated); saved back as UTF-8 CSV
        // of the cells as Calc holds them.
        let converted = try ProcessRunner.run(
            soffice,
            [
                "--headless", "--norestore", "-env:UserInstallation=file://" + world.root.appendingPathComponent("lo-profile").path,
                "--infilter=Text - txt - csv (StarCalc):44,34,76,1", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                "--outdir", outDir, csv, control,
            ], timeout: 300)
        #expect(converted.succeeded, "\(converted.stdout)\(converted.stderr)")

        let controlRows = try Self.readCSV(outDir + "/control.csv")
        #expect(controlRows.first?["analysis"] == "2", "an unneutralised =1+1 is evaluated by this import")

        let rows = try Self.readCSV(outDir + "/" + URL(fileURLWithPath: csv).lastPathComponent)
        let row = try #require(rows.first { $0["id"] == id.uuidString.lowercased() }, "\(rows)")
        #expect(row["childViews"] == Self.views, "non-ASCII text, a quote and a line break read back the same")
        #expect(row["state"] == "AUTHORISED")
        #expect(row["recordKind"] == "visit")
        #expect(row["kind"] == "CLA_STATUTORY")
        #expect(row["createdBy"] == "alice")
        for (field, value) in Self.formulas {
            #expect(row[field] == "'" + value, "\(field) is kept as the text written, not evaluated: \(row[field] ?? "nil")")
        }
    }

    /// An authorised visit whose text fields hold non-ASCII text and formula-looking values,
    /// exported as CSV by a team manager's device.
    static func exported() throws -> (TestWorld, csv: String, id: UUID) {
        let world = try TestWorld()
        let alice = try world.device("alice")
        let manager = try world.device("maria", role: "TM", shared: false)
        var assignments: [String] = []
        for (field, value) in formulas.merging(["childViews": views], uniquingKeysWith: { $1 }) {
            let file = world.root.appendingPathComponent("\(field).txt")
            try Data(value.utf8).write(to: file)
            assignments.append("\(field)=@\(file.path)")
        }
        let id = try ExportTests().submitted(alice, assignments)
        try alice.sync()
        try manager.sync()
        guard try manager.run(["transition", id.uuidString, "AUTHORISED"]).succeeded else { throw WorldError("authorise failed") }
        try manager.sync()
        let csv = world.root.appendingPathComponent("export.csv").path
        let out = try manager.run(["export", "--reconciled", "--format", "csv", "--out", csv])
        guard out.succeeded else { throw WorldError("export failed: \(out.stderr)") }
        return (world, csv, id)
    }

    /// Rows of a CSV file read with Python's csv module (a real CSV parser), BOM or not.
    static func readCSV(_ path: String) throws -> [[String: String]] {
        let parsed = try ProcessRunner.run(
            "/usr/bin/env",
            [
                "python3", "-c",
                """
                import csv, json, sys
                with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                    print(json.dumps(list(csv.DictReader(f))))
                """, path,
            ])
        guard parsed.succeeded else { throw WorldError("reading \(path) failed: \(parsed.stderr)") }
        return try JSONDecoder().decode([[String: String]].self, from: Data(parsed.stdout.utf8))
    }
}
