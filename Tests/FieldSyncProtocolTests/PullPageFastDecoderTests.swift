import FieldSyncProtocol
import Foundation
import PropertyBased
import Testing

/// `PullPageFastDecoder` either returns what `JSONDecoder` returns for the same bytes, or nil.
@Suite("PullPageFastDecoder")
struct PullPageFastDecoderTests {
    // MARK: Properties

    /// Pages as `WireProtocol.makeEncoder()` writes them read back to the value encoded.
    @Test func encodedPagesDecodeToTheValueEncodedAndToJSONDecodersValue() async {
        await propertyCheck(count: 200, input: PageSample.generator) { sample in
            let fast = PullPageFastDecoder.decode(sample.encoded)
            #expect(fast == sample.page)
            #expect(fast == referencePage(sample.encoded))
        }
    }

    /// Pages as the server renders them (record documents from `DirectJSON` inside the page
    /// layout of `FeedReader.render`) read back to the value rendered.
    @Test func renderedPagesDecodeToTheValueRenderedAndToJSONDecodersValue() async {
        await propertyCheck(count: 200, input: PageSample.generator) { sample in
            let fast = PullPageFastDecoder.decode(sample.rendered)
            #expect(fast == sample.renderedPage)
            #expect(fast == referencePage(sample.rendered))
        }
    }

    /// The same values written with other whitespace, member order, UUID case, string escapes,
    /// and `removed` and `resolution` given as `null` or left out when nil.
    @Test func reserialisedPagesDecodeToTheSameValue() async {
        await propertyCheck(count: 200, input: PageSample.generator) { sample in
            let body = Data(sample.rewritten.utf8)
            let fast = PullPageFastDecoder.decode(body)
            #expect(fast == sample.page, "\(sample.rewritten)")
            #expect(fast == referencePage(body))
        }
    }

    /// Single record documents, as `DirectJSON` and `JSONEncoder` write them, read back equal;
    /// a record inside a page, or with trailing bytes, is refused.
    @Test func recordDocumentsDecodeAlone() async throws {
        await propertyCheck(count: 200, input: PageSample.generator) { sample in
            for record in sample.page.records {
                let direct = try! DirectJSON.encode(record)
                #expect(RecordSnapshotFastDecoder.decode(direct) == record)
                #expect(RecordSnapshotFastDecoder.decode(try! WireProtocol.makeEncoder().encode(record)) == record)
                #expect(RecordSnapshotFastDecoder.decode(direct + Data("x".utf8)) == nil)
            }
            #expect(RecordSnapshotFastDecoder.decode(sample.rendered) == nil)
        }
    }

    /// A page of realistic visit records (about twenty fields, three long texts) as the server renders it.
    @Test func aRenderedPageOfVisitRecordsDecodes() throws {
        var rng = Xoshiro(seed: (0x7157_1700, 0xFEED, 0x9A6E, 0x5EED))
        let records = (0..<50).map { n in PageSample.visitRecord(&rng, version: Int64(100 + n)) }
        let body = try renderPage(records: records, cursor: FeedCursor(sequence: 149), more: true, removed: [])
        let fast = try #require(PullPageFastDecoder.decode(body))
        #expect(fast == PullPage(records: records, cursor: "fs1.45", more: true))
        #expect(fast == referencePage(body))
        Array(body).withUnsafeBytes { #expect(PullPageFastDecoder.decode($0) == fast) }
    }

    /// Pages with bytes truncated, flipped, inserted, deleted or repeated: whenever the fast
    /// decoder accepts one, `JSONDecoder` accepts it too, with an equal value.
    @Test func mutatedPagesAreRefusedOrDecodedAsJSONDecoderDecodesThem() {
        var rng = Xoshiro(seed: (0x9A6E_F00D, 0x0000_5EED, 0xC4A9_6E5E, 0x7E58))
        let bodies: [[UInt8]] = (0..<60).map { n in
            let sample = PageSample.make(&rng, maxRecords: 2)
            switch n % 3 {
            case 0: return [UInt8](sample.encoded)
            case 1: return [UInt8](sample.rendered)
            default: return Array(sample.rewritten.utf8)
            }
        }
        let (accepted, refusedButValid) = FastDecoderSample.checkMutants(
            of: bodies, &rng, fast: { PullPageFastDecoder.decode($0) }, reference: referencePage)
        // Both paths are exercised: some mutants are still plain JSON, and some only JSONDecoder takes.
        #expect(accepted > 100)
        #expect(refusedButValid > 10)
    }

    // MARK: Refusals

    @Test(arguments: PageRefusal.all)
    func refuses(_ refusal: PageRefusal) {
        let body = Data(refusal.bytes)
        #expect(PullPageFastDecoder.decode(body) == nil)
        let reference = Result { try WireProtocol.makeDecoder().decode(PullPage.self, from: body) }
        switch (refusal.jsonDecoder, reference) {
        case (.fails, .failure), (.succeeds, .success): break
        case (.fails, .success(let value)): Issue.record("JSONDecoder decoded \(value)")
        case (.succeeds, .failure(let error)): Issue.record("JSONDecoder failed: \(error)")
        }
    }

    @Test func emptyInputIsRefused() {
        #expect(PullPageFastDecoder.decode(Data()) == nil)
        #expect(referencePage(Data()) == nil)
        [UInt8]().withUnsafeBytes { #expect(PullPageFastDecoder.decode($0) == nil) }
    }

    // MARK: Acceptances

    @Test(arguments: PageAcceptance.all)
    func accepts(_ acceptance: PageAcceptance) throws {
        let body = Data(acceptance.json.utf8)
        let reference = try WireProtocol.makeDecoder().decode(PullPage.self, from: body)
        let fast = try #require(PullPageFastDecoder.decode(body))
        #expect(fast == reference)
        #expect(acceptance.check(fast))
        Array(body).withUnsafeBytes { #expect(PullPageFastDecoder.decode($0) == reference) }
    }
}

private func referencePage(_ body: Data) -> PullPage? {
    try? WireProtocol.makeDecoder().decode(PullPage.self, from: body)
}

/// The body the server's feed writes (`DirectJSON.pullPage` around `DirectJSON` record documents).
private func renderPage(records: [RecordSnapshot], cursor: FeedCursor, more: Bool, removed: [UUID]) throws -> Data {
    DirectJSON.pullPage(documents: try records.map { try DirectJSON.encode($0) }, cursor: cursor, more: more, removed: removed)
}

// MARK: - Hand-written cases

private let idA = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"
private let idB = "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"
private let idC = "0F8FAD5B-D9CB-469F-A165-70867728950E"
private let fieldsMark = "{\"notes\":\"x\"}"
private let recordMark =
    "{\"conflicts\":[],\"createdAt\":\"2026-11-22T09:30:00.000Z\",\"createdBy\":\"sam\",\"deleted\":false,"
    + "\"fieldVersions\":{\"notes\":3},\"fields\":\(fieldsMark),\"id\":\"\(idA)\",\"kind\":\"visit\",\"state\":\"DRAFT\","
    + "\"stateVersion\":2,\"updatedAt\":\"2026-11-22T10:00:00.000Z\",\"updatedBy\":\"priya\",\"version\":3,\"youngPerson\":\"\(idB)\"}"
/// One record and one young person removed, as the server renders them; the cases below replace parts of it.
private let validPage = "{\"cursor\":\"fs1.3\",\"more\":false,\"records\":[\(recordMark)],\"removed\":[\"\(idC)\"]}"
private let authorshipMark =
    "{\"changeSet\":\"\(idC)\",\"device\":\"\(idB)\",\"madeAt\":\"2026-11-22T09:00:00.000Z\",\"receivedAt\":\"2026-11-22T09:01:00.000Z\",\"user\":\"alex\"}"
/// A conflict as `WireProtocol.makeEncoder()` writes it, without a resolution.
private let conflictMark =
    "{\"base\":\"a\",\"current\":\"b\",\"field\":\"notes\",\"held\":\"c\",\"heldBy\":\(authorshipMark),\"id\":\"\(idC)\","
    + "\"openedAt\":\"2026-11-22T09:01:00.000Z\",\"record\":\"\(idA)\",\"status\":\"open\"}"
private let resolutionMark = "{\"by\":\(authorshipMark),\"choice\":\"held\",\"value\":\"c\"}"

private func page(replacing part: String, with replacement: String) -> String {
    precondition(validPage.contains(part))
    return validPage.replacingOccurrences(of: part, with: replacement)
}

private func page(record: String) -> String { page(replacing: recordMark, with: record) }
private func page(fields: String) -> String { page(replacing: fieldsMark, with: fields) }

/// The valid page with one conflict on its record.
private func page(conflict: String = conflictMark) -> String {
    page(replacing: "\"conflicts\":[]", with: "\"conflicts\":[\(conflict)]")
}

private func conflict(replacing part: String, with replacement: String) -> String {
    precondition(conflictMark.contains(part))
    return page(conflict: conflictMark.replacingOccurrences(of: part, with: replacement))
}

private func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }

/// A page the fast decoder refuses, and what `JSONDecoder` does with it.
struct PageRefusal: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable { case fails, succeeds }
    let name: String
    let bytes: [UInt8]
    let jsonDecoder: Outcome
    var testDescription: String { name }

    init(_ name: String, _ text: String, jsonDecoder: Outcome) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.jsonDecoder = jsonDecoder
    }

    init(_ name: String, _ bytes: [UInt8], jsonDecoder: Outcome) {
        self.name = name
        self.bytes = bytes
        self.jsonDecoder = jsonDecoder
    }

    static let withResolution = conflict(replacing: "\"status\":\"open\"", with: "\"status\":\"resolved\",\"resolution\":\(resolutionMark)")

    static let all: [PageRefusal] = [
        // Members synthesized Codable ignores, or reads the first of.
        PageRefusal("unknown page member", page(replacing: "\"more\"", with: "\"next\":1,\"more\""), jsonDecoder: .succeeds),
        PageRefusal("unknown record member", page(replacing: "\"deleted\"", with: "\"note\":\"x\",\"deleted\""), jsonDecoder: .succeeds),
        PageRefusal(
            "record member differing only in case", page(replacing: "\"state\":", with: "\"State\":\"x\",\"state\":"),
            jsonDecoder: .succeeds),
        PageRefusal("unknown conflict member", conflict(replacing: "\"field\"", with: "\"path\":[],\"field\""), jsonDecoder: .succeeds),
        PageRefusal(
            "unknown authorship member", conflict(replacing: "\"user\":\"alex\"", with: "\"user\":\"alex\",\"team\":\"b\""),
            jsonDecoder: .succeeds),
        PageRefusal(
            "unknown resolution member", withResolution.replacingOccurrences(of: "\"choice\"", with: "\"note\":null,\"choice\""),
            jsonDecoder: .succeeds),
        PageRefusal("duplicate cursor", page(replacing: "\"more\"", with: "\"cursor\":\"fs1.4\",\"more\""), jsonDecoder: .succeeds),
        PageRefusal("duplicate records", page(replacing: ",\"removed\"", with: ",\"records\":[],\"removed\""), jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate removed, null first", page(replacing: "\"more\"", with: "\"removed\":null,\"more\""), jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate record member", page(replacing: "\"version\":3", with: "\"version\":3,\"version\":4"), jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate fieldVersions key", page(replacing: "{\"notes\":3}", with: "{\"notes\":3,\"notes\":4}"), jsonDecoder: .succeeds),
        PageRefusal("duplicate fields key", page(fields: "{\"a\":1,\"a\":2}"), jsonDecoder: .succeeds),
        PageRefusal(
            "fieldVersions keys equal only as Swift strings", page(replacing: "{\"notes\":3}", with: "{\"\u{E9}\":1,\"e\u{301}\":2}"),
            jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate conflict value", conflict(replacing: "\"held\":\"c\"", with: "\"held\":\"c\",\"held\":null"), jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate key inside a held value", conflict(replacing: "\"held\":\"c\"", with: "\"held\":{\"k\":1,\"k\":2}"),
            jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate resolution, null first",
            withResolution.replacingOccurrences(of: "\"resolution\"", with: "\"resolution\":null,\"resolution\""), jsonDecoder: .succeeds),
        PageRefusal(
            "duplicate authorship member", conflict(replacing: "\"user\":\"alex\"", with: "\"user\":\"alex\",\"user\":\"sam\""),
            jsonDecoder: .succeeds),
        PageRefusal("escaped record member name", page(replacing: "\"kind\"", with: "\"\\u006bind\""), jsonDecoder: .succeeds),
        // Required members missing or null.
        PageRefusal("null cursor", page(replacing: "\"fs1.3\"", with: "null"), jsonDecoder: .fails),
        PageRefusal("null more", page(replacing: "\"more\":false", with: "\"more\":null"), jsonDecoder: .fails),
        PageRefusal("null records", page(replacing: "[\(recordMark)]", with: "null"), jsonDecoder: .fails),
        PageRefusal("null record", page(record: "null"), jsonDecoder: .fails),
        PageRefusal("null in removed", page(replacing: "[\"\(idC)\"]", with: "[null]"), jsonDecoder: .fails),
        PageRefusal("null id", page(replacing: "\"\(idA)\"", with: "null"), jsonDecoder: .fails),
        PageRefusal("null state", page(replacing: "\"DRAFT\"", with: "null"), jsonDecoder: .fails),
        PageRefusal("null deleted", page(replacing: "\"deleted\":false", with: "\"deleted\":null"), jsonDecoder: .fails),
        PageRefusal("null fields", page(fields: "null"), jsonDecoder: .fails),
        PageRefusal("null fieldVersions", page(replacing: "{\"notes\":3}", with: "null"), jsonDecoder: .fails),
        PageRefusal("null fieldVersions value", page(replacing: "{\"notes\":3}", with: "{\"notes\":null}"), jsonDecoder: .fails),
        PageRefusal("null conflicts", page(replacing: "\"conflicts\":[]", with: "\"conflicts\":null"), jsonDecoder: .fails),
        PageRefusal("null heldBy", conflict(replacing: authorshipMark, with: "null"), jsonDecoder: .fails),
        PageRefusal("null conflict status", conflict(replacing: "\"open\"", with: "null"), jsonDecoder: .fails),
        PageRefusal("null authorship user", conflict(replacing: "\"alex\"", with: "null"), jsonDecoder: .fails),
        PageRefusal(
            "null resolution choice", withResolution.replacingOccurrences(of: "\"held\",\"value\"", with: "null,\"value\""),
            jsonDecoder: .fails),
        PageRefusal("missing cursor", page(replacing: "\"cursor\":\"fs1.3\",", with: ""), jsonDecoder: .fails),
        PageRefusal("missing more", page(replacing: "\"more\":false,", with: ""), jsonDecoder: .fails),
        PageRefusal("missing records", page(replacing: "\"records\":[\(recordMark)],", with: ""), jsonDecoder: .fails),
        PageRefusal("missing updatedBy", page(replacing: "\"updatedBy\":\"priya\",", with: ""), jsonDecoder: .fails),
        PageRefusal("missing conflicts", page(replacing: "\"conflicts\":[],", with: ""), jsonDecoder: .fails),
        PageRefusal("missing conflict base", conflict(replacing: "\"base\":\"a\",", with: ""), jsonDecoder: .fails),
        PageRefusal("missing resolution value", withResolution.replacingOccurrences(of: ",\"value\":\"c\"", with: ""), jsonDecoder: .fails),
        PageRefusal("missing authorship device", conflict(replacing: "\"device\":\"\(idB)\",", with: ""), jsonDecoder: .fails),
        // Wrong JSON types.
        PageRefusal("more as a string", page(replacing: "\"more\":false", with: "\"more\":\"false\""), jsonDecoder: .fails),
        PageRefusal("more as a number", page(replacing: "\"more\":false", with: "\"more\":0"), jsonDecoder: .fails),
        PageRefusal("deleted as a number", page(replacing: "\"deleted\":false", with: "\"deleted\":1"), jsonDecoder: .fails),
        PageRefusal("cursor as a number", page(replacing: "\"fs1.3\"", with: "3"), jsonDecoder: .fails),
        PageRefusal("records as an object", page(replacing: "[\(recordMark)]", with: "{}"), jsonDecoder: .fails),
        PageRefusal("record as an array", page(record: "[]"), jsonDecoder: .fails),
        PageRefusal("removed as one UUID", page(replacing: "[\"\(idC)\"]", with: "\"\(idC)\""), jsonDecoder: .fails),
        PageRefusal("stateVersion as a string", page(replacing: "\"stateVersion\":2", with: "\"stateVersion\":\"2\""), jsonDecoder: .fails),
        PageRefusal("fieldVersions as an array", page(replacing: "{\"notes\":3}", with: "[3]"), jsonDecoder: .fails),
        PageRefusal("fieldVersions value as a string", page(replacing: "{\"notes\":3}", with: "{\"notes\":\"3\"}"), jsonDecoder: .fails),
        PageRefusal("fields as an array", page(fields: "[]"), jsonDecoder: .fails),
        PageRefusal("conflicts as an object", page(replacing: "\"conflicts\":[]", with: "\"conflicts\":{}"), jsonDecoder: .fails),
        PageRefusal("heldBy as a string", conflict(replacing: authorshipMark, with: "\"alex\""), jsonDecoder: .fails),
        PageRefusal(
            "resolution as an array", conflict(replacing: "\"status\":\"open\"", with: "\"status\":\"open\",\"resolution\":[]"),
            jsonDecoder: .fails),
        PageRefusal("kind as a number", page(replacing: "\"visit\"", with: "1"), jsonDecoder: .fails),
        PageRefusal("a top-level array", "[\(validPage)]", jsonDecoder: .fails),
        // Numbers.
        PageRefusal("version with a fraction", page(replacing: "\"version\":3", with: "\"version\":3.0"), jsonDecoder: .succeeds),
        PageRefusal(
            "fieldVersions value with an exponent", page(replacing: "{\"notes\":3}", with: "{\"notes\":3E0}"), jsonDecoder: .succeeds),
        PageRefusal("a field with a fraction (JSONValue.number)", page(fields: "{\"a\":1.5}"), jsonDecoder: .succeeds),
        PageRefusal("a held value with a fraction", conflict(replacing: "\"held\":\"c\"", with: "\"held\":[2.5]"), jsonDecoder: .succeeds),
        PageRefusal("a field above Int64.max", page(fields: "{\"a\":9223372036854775808}"), jsonDecoder: .succeeds),
        PageRefusal(
            "version above Int64.max", page(replacing: "\"version\":3", with: "\"version\":9223372036854775808"), jsonDecoder: .fails),
        PageRefusal(
            "stateVersion with a leading zero", page(replacing: "\"stateVersion\":2", with: "\"stateVersion\":02"), jsonDecoder: .fails),
        PageRefusal(
            "a fieldVersions value with a plus sign", page(replacing: "{\"notes\":3}", with: "{\"notes\":+3}"), jsonDecoder: .fails),
        // Strings.
        PageRefusal("unknown escape in the cursor", page(replacing: "\"fs1.3\"", with: "\"fs1\\.3\""), jsonDecoder: .fails),
        PageRefusal(
            "lone surrogate in a fieldVersions key", page(replacing: "{\"notes\":3}", with: "{\"\\ud800\":3}"), jsonDecoder: .fails),
        PageRefusal("raw control character in state", page(replacing: "\"DRAFT\"", with: "\"DR\u{1}AFT\""), jsonDecoder: .fails),
        PageRefusal("raw newline in a held value", conflict(replacing: "\"held\":\"c\"", with: "\"held\":\"c\nd\""), jsonDecoder: .fails),
        PageRefusal(
            "invalid UTF-8 in createdBy",
            Array(
                page(replacing: "\"sam\"", with: "\"@\"").split(separator: "@", omittingEmptySubsequences: false).map { Array($0.utf8) }
                    .joined(separator: [0xC0, 0xAF])),
            jsonDecoder: .fails),
        // UUIDs and raw values.
        PageRefusal(
            "removed UUID without hyphens", page(replacing: idC, with: idC.replacingOccurrences(of: "-", with: "")), jsonDecoder: .fails),
        PageRefusal("youngPerson one digit short", page(replacing: idB, with: String(idB.dropLast())), jsonDecoder: .fails),
        PageRefusal(
            "device UUID with a non-hex digit", conflict(replacing: idB, with: "1B4E28BA-2FA1-11D2-883F-0016D3CCA42G"), jsonDecoder: .fails),
        PageRefusal(
            "record UUID with an escape", page(replacing: idA, with: "\\u0045621E1F8-C36C-495A-93FC-0C247A3E6E5F"), jsonDecoder: .succeeds),
        PageRefusal("unknown kind", page(replacing: "\"visit\"", with: "\"note\""), jsonDecoder: .fails),
        PageRefusal("kind in upper case", page(replacing: "\"visit\"", with: "\"Visit\""), jsonDecoder: .fails),
        PageRefusal(
            "unknown resolution choice", withResolution.replacingOccurrences(of: "\"choice\":\"held\"", with: "\"choice\":\"mine\""),
            jsonDecoder: .fails),
        // Structure.
        PageRefusal("a field nesting 65 deep", page(fields: "{\"a\":\(nested(61))}"), jsonDecoder: .succeeds),
        PageRefusal(
            "a held value nesting 65 deep", conflict(replacing: "\"held\":\"c\"", with: "\"held\":\(nested(60))"), jsonDecoder: .succeeds),
        PageRefusal("trailing comma in records", page(replacing: "[\(recordMark)]", with: "[\(recordMark),]"), jsonDecoder: .succeeds),
        PageRefusal("trailing comma in removed", page(replacing: "\"\(idC)\"]", with: "\"\(idC)\",]"), jsonDecoder: .succeeds),
        PageRefusal("trailing comma in the page", page(replacing: "\"]}", with: "\"],}"), jsonDecoder: .succeeds),
        PageRefusal(
            "trailing comma in a conflict", conflict(replacing: "\"status\":\"open\"", with: "\"status\":\"open\","), jsonDecoder: .succeeds
        ),
        PageRefusal("byte-order mark", [0xEF, 0xBB, 0xBF] + Array(validPage.utf8), jsonDecoder: .succeeds),
        PageRefusal(
            "two commas in records", page(replacing: "[\(recordMark)]", with: "[\(recordMark),,\(recordMark)]"), jsonDecoder: .fails),
        PageRefusal("missing colon", page(replacing: "\"more\":", with: "\"more\" "), jsonDecoder: .fails),
        PageRefusal("truncated literal", page(replacing: "\"more\":false", with: "\"more\":fals"), jsonDecoder: .fails),
        PageRefusal("literal run on", page(replacing: "\"deleted\":false", with: "\"deleted\":falsey"), jsonDecoder: .fails),
        PageRefusal("unclosed page", String(validPage.dropLast()), jsonDecoder: .fails),
        PageRefusal("trailing second object", validPage + " {}", jsonDecoder: .fails),
        PageRefusal("trailing NUL", Array(validPage.utf8) + [0], jsonDecoder: .fails),
        PageRefusal("whitespace only", " \n", jsonDecoder: .fails),
        PageRefusal("empty object", "{}", jsonDecoder: .fails),
    ]
}

/// A page the fast decoder accepts, with a check on it (it is also compared to `JSONDecoder`'s).
struct PageAcceptance: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let check: @Sendable (PullPage) -> Bool
    var testDescription: String { name }

    init(_ name: String, _ json: String, check: @escaping @Sendable (PullPage) -> Bool) {
        self.name = name
        self.json = json
        self.check = check
    }

    static let all: [PageAcceptance] = [
        PageAcceptance("the plain page", validPage) {
            $0.records.count == 1 && $0.records[0].fields == ["notes": "x"] && $0.records[0].fieldVersions == ["notes": 3]
                && $0.removed == [UUID(uuidString: idC)!] && $0.cursor == "fs1.3" && !$0.more
        },
        PageAcceptance("removed absent is nil", page(replacing: ",\"removed\":[\"\(idC)\"]", with: "")) { $0.removed == nil },
        PageAcceptance("removed null is nil", page(replacing: "[\"\(idC)\"]", with: "null")) { $0.removed == nil },
        PageAcceptance("removed empty is empty", page(replacing: "[\"\(idC)\"]", with: "[]")) { $0.removed == [] },
        PageAcceptance("no records", page(replacing: "[\(recordMark)]", with: "[]").replacingOccurrences(of: "false", with: "true")) {
            $0.records.isEmpty && $0.more
        },
        PageAcceptance("a conflict", page(conflict: conflictMark)) {
            let conflict = $0.records[0].conflicts[0]
            return conflict.base == "a" && conflict.held == "c" && conflict.heldBy.user == "alex" && conflict.resolution == nil
        },
        PageAcceptance(
            "conflict values null are JSONValue.null",
            conflict(replacing: "\"base\":\"a\",\"current\":\"b\"", with: "\"base\":null,\"current\":null")
                .replacingOccurrences(of: "\"held\":\"c\"", with: "\"held\":null")
        ) {
            let conflict = $0.records[0].conflicts[0]
            return conflict.base == .null && conflict.current == .null && conflict.held == .null
        },
        PageAcceptance(
            "resolution null is nil", conflict(replacing: "\"status\":\"open\"", with: "\"status\":\"open\",\"resolution\":null")
        ) {
            $0.records[0].conflicts[0].resolution == nil
        },
        PageAcceptance("a resolution", PageRefusal.withResolution) {
            $0.records[0].conflicts[0].resolution?.choice == .held && $0.records[0].conflicts[0].status == "resolved"
        },
        PageAcceptance(
            "resolution value null is JSONValue.null",
            PageRefusal.withResolution.replacingOccurrences(of: "\"value\":\"c\"", with: "\"value\":null")
        ) {
            $0.records[0].conflicts[0].resolution?.value == .null
        },
        PageAcceptance(
            "values of every JSON type",
            conflict(replacing: "\"held\":\"c\"", with: "\"held\":[null,true,false,0,-7,\"s\",[],{},{\"k\":[1]}]")
        ) {
            $0.records[0].conflicts[0].held == ([nil, true, false, 0, -7, "s", [], [:], ["k": [1]]] as JSONValue)
        },
        PageAcceptance(
            "lower-case UUIDs",
            validPage.replacingOccurrences(of: idA, with: idA.lowercased()).replacingOccurrences(of: idC, with: idC.lowercased())
        ) {
            $0.records[0].id == UUID(uuidString: idA) && $0.removed == [UUID(uuidString: idC)!]
        },
        PageAcceptance(
            "escapes in the cursor and a fieldVersions key",
            page(replacing: "\"fs1.3\"", with: "\"fs1\\u002e3\\/\"")
                .replacingOccurrences(of: "{\"notes\":3}", with: "{\"n\\u00f6tes\\n\":3}")
        ) {
            $0.cursor == "fs1.3/" && $0.records[0].fieldVersions == ["n\u{F6}tes\n": 3]
        },
        PageAcceptance(
            "Int64 extremes",
            page(replacing: "\"version\":3", with: "\"version\":9223372036854775807")
                .replacingOccurrences(of: "\"stateVersion\":2", with: "\"stateVersion\":-9223372036854775808")
        ) {
            $0.records[0].version == .max && $0.records[0].stateVersion == .min
        },
        PageAcceptance("a field nesting to the limit", page(fields: "{\"a\":\(nested(60))}")) {
            $0.records[0].fields["a"]?.arrayValue != nil
        },
        PageAcceptance("a held value nesting to the limit", conflict(replacing: "\"held\":\"c\"", with: "\"held\":\(nested(59))")) {
            $0.records[0].conflicts[0].held.arrayValue != nil
        },
        PageAcceptance(
            "whitespace everywhere and members reversed",
            " \r\n{ \"removed\" : [ ] ,\t\"records\"\n:\n[ { \"youngPerson\" : \"\(idB)\" , \"version\":1,\"updatedBy\":\"\",\"updatedAt\":\"\","
                + "\"stateVersion\":0,\"state\":\"\",\"kind\":\"pep\",\"id\":\"\(idA)\",\"fields\" : { } ,\"fieldVersions\":{ },\"deleted\" : true ,"
                + "\"createdBy\":\"\",\"createdAt\":\"\",\"conflicts\":[ ] } ] , \"more\" : true , \"cursor\" : \"\" }\t\n"
        ) {
            $0.records.count == 1 && $0.records[0].kind == .pep && $0.records[0].deleted && $0.removed == [] && $0.more
        },
    ]
}

// MARK: - Generated pages

/// A random page, its bytes from `WireProtocol.makeEncoder()` and as the server renders it,
/// and the same value written another way by ``Relayout``.
struct PageSample: Sendable, CustomTestStringConvertible {
    var page: PullPage
    var encoded: Data
    var rendered: Data
    /// What the rendered bytes hold: `removed` is left out when empty, and sorted by UUID text.
    var renderedPage: PullPage
    var rewritten: String

    var testDescription: String { String(decoding: encoded, as: UTF8.self) }

    static let generator = Generator<PageSample, Shrink.None<PageSample>> { rng in
        make(&rng, maxRecords: 5)
    }

    static func make(_ rng: inout some RandomNumberGenerator, maxRecords: Int) -> PageSample {
        let cursor = FeedCursor(
            sequence: Int64.random(in: 0...1_000_000, using: &rng),
            generation: Bool.random(using: &rng) ? 0 : Int64.random(in: 1...40, using: &rng))
        let removed: [UUID]? =
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: nil
            case 1: []
            default: (0..<Int.random(in: 1...4, using: &rng)).map { _ in FastDecoderSample.uuid(&rng) }
            }
        let page = PullPage(
            records: (0..<Int.random(in: 0...maxRecords, using: &rng)).map { _ in record(&rng) }, cursor: cursor.token,
            more: Bool.random(using: &rng), removed: removed)
        let encoded = try! WireProtocol.makeEncoder().encode(page)
        let rendered = try! renderPage(records: page.records, cursor: cursor, more: page.more, removed: removed ?? [])
        var renderedPage = page
        renderedPage.removed = removed.flatMap { $0.isEmpty ? nil : $0.sorted { $0.uuidString < $1.uuidString } }
        var writer = Relayout(rng: Xoshiro(seed: (rng.next(), rng.next(), rng.next(), rng.next())))
        return PageSample(page: page, encoded: encoded, rendered: rendered, renderedPage: renderedPage, rewritten: writer.page(page))
    }

    static func record(_ rng: inout some RandomNumberGenerator) -> RecordSnapshot {
        let fields = FastDecoderSample.fields(&rng, depth: 3)
        var fieldVersions: [String: Int64] = [:]
        for key in fields.keys where Int.random(in: 0..<5, using: &rng) != 0 { fieldVersions[key] = FastDecoderSample.int64(&rng) }
        if Int.random(in: 0..<5, using: &rng) == 0 { fieldVersions[FastDecoderSample.string(&rng)] = FastDecoderSample.int64(&rng) }
        let conflicts = Int.random(in: 0..<3, using: &rng) == 0 ? (0..<Int.random(in: 1...3, using: &rng)).map { _ in conflict(&rng) } : []
        return RecordSnapshot(
            id: FastDecoderSample.uuid(&rng), kind: RecordKind.allCases.randomElement(using: &rng)!,
            youngPerson: FastDecoderSample.uuid(&rng),
            state: text(&rng), stateVersion: FastDecoderSample.int64(&rng), version: FastDecoderSample.int64(&rng),
            deleted: Bool.random(using: &rng), fields: fields, fieldVersions: fieldVersions, createdBy: text(&rng),
            createdAt: instant(&rng),
            updatedBy: text(&rng), updatedAt: instant(&rng), conflicts: conflicts)
    }

    static func conflict(_ rng: inout some RandomNumberGenerator) -> Conflict {
        let resolution =
            Bool.random(using: &rng)
            ? ConflictResolution(
                choice: [ResolutionChoice.current, .held, .value].randomElement(using: &rng)!,
                value: FastDecoderSample.value(&rng, depth: 2),
                by: authorship(&rng))
            : nil
        return Conflict(
            id: FastDecoderSample.uuid(&rng), record: FastDecoderSample.uuid(&rng), field: text(&rng),
            base: FastDecoderSample.value(&rng, depth: 2), current: FastDecoderSample.value(&rng, depth: 2),
            held: FastDecoderSample.value(&rng, depth: 2), heldBy: authorship(&rng), openedAt: instant(&rng),
            status: resolution == nil ? "open" : text(&rng), resolution: resolution)
    }

    static func authorship(_ rng: inout some RandomNumberGenerator) -> Authorship {
        Authorship(
            user: text(&rng), device: FastDecoderSample.uuid(&rng), changeSet: FastDecoderSample.uuid(&rng), madeAt: instant(&rng),
            receivedAt: instant(&rng))
    }

    /// Mostly plain words, as names and states are; now and then anything.
    static func text(_ rng: inout some RandomNumberGenerator) -> String {
        Int.random(in: 0..<3, using: &rng) == 0
            ? FastDecoderSample.string(&rng) : ["sam", "priya o'neil", "DRAFT", "COMPLETED", ""].randomElement(using: &rng)!
    }

    static func instant(_ rng: inout some RandomNumberGenerator) -> String {
        Int.random(in: 0..<5, using: &rng) == 0
            ? FastDecoderSample.string(&rng) : WireTime.format(Date(timeIntervalSince1970: .random(in: 1.7e9...1.9e9, using: &rng)))
    }

    /// A visit record as a worker fills it in: about twenty fields, three free texts of 300 to 500 characters.
    static func visitRecord(_ rng: inout some RandomNumberGenerator, version: Int64) -> RecordSnapshot {
        let words = [
            "the", "young", "person", "said", "she", "felt", "settled", "at", "school", "carer", "café", "contact", "“fine”", "and",
        ]
        func prose(_ rng: inout some RandomNumberGenerator) -> JSONValue {
            var text = ""
            let target = Int.random(in: 300...500, using: &rng)
            while text.utf8.count < target { text += (text.isEmpty ? "" : " ") + words.randomElement(using: &rng)! }
            return .string(text + ".")
        }
        let fields: [String: JSONValue] = [
            "kind": "CLA_STATUTORY", "purpose": "Statutory visit", "planRefs": ["obj-1", "obj-4"], "contactMode": "FACE_TO_FACE",
            "announced": true, "scheduledStart": "2026-11-22T09:30:00.000Z", "actualStart": "2026-11-22T09:35:00.000Z",
            "actualEnd": "2026-11-22T10:40:00.000Z", "locationType": "FOSTER_HOME", "outOfArea": false,
            "personsSeen": [["role": "CHILD", "label": "YP"], ["role": "CARER", "label": "Foster carer"]], "childSeen": true,
            "childSeenAlone": true, "bedroomSeen": true, "interpreter": ["used": false, "language": ""],
            "childViews": prose(&rng), "childViewsMethod": "CONVERSATION", "observations": prose(&rng), "analysis": prose(&rng),
            "wellbeingChecklist": [
                ["domain": "HEALTH", "status": "OK", "note": ""], ["domain": "EDUCATION_EET", "status": "CONCERN", "note": "Attendance"],
            ],
            "nextVisitDue": "2027-01-03",
        ]
        return RecordSnapshot(
            id: FastDecoderSample.uuid(&rng), kind: .visit, youngPerson: FastDecoderSample.uuid(&rng), state: "DRAFT",
            stateVersion: version,
            version: version, deleted: false, fields: fields, fieldVersions: fields.mapValues { _ in version }, createdBy: "sam",
            createdAt: "2026-11-22T10:41:00.000Z", updatedBy: "sam", updatedAt: "2026-11-22T10:41:00.000Z", conflicts: [])
    }
}

extension Relayout {
    /// A page, `removed` left out or `null` when nil.
    mutating func page(_ p: PullPage) -> String {
        var members = [("records", array(p.records.map { record($0) })), ("cursor", string(p.cursor)), ("more", p.more ? "true" : "false")]
        if let removed = p.removed {
            members.append(("removed", array(removed.map { uuid($0) })))
        } else if Bool.random(using: &rng) {
            members.append(("removed", "null"))
        }
        return object(members)
    }

    mutating func record(_ r: RecordSnapshot) -> String {
        object([
            ("id", uuid(r.id)), ("kind", "\"\(r.kind.rawValue)\""), ("youngPerson", uuid(r.youngPerson)), ("state", string(r.state)),
            ("stateVersion", String(r.stateVersion)), ("version", String(r.version)), ("deleted", r.deleted ? "true" : "false"),
            ("fields", object(r.fields)),
            (
                "fieldVersions",
                object(r.fieldVersions.map { key, version in (String(string(key).dropFirst().dropLast()), String(version)) })
            ),
            ("createdBy", string(r.createdBy)), ("createdAt", string(r.createdAt)), ("updatedBy", string(r.updatedBy)),
            ("updatedAt", string(r.updatedAt)), ("conflicts", array(r.conflicts.map { conflict($0) })),
        ])
    }

    /// A conflict, `resolution` left out or `null` when nil.
    mutating func conflict(_ c: Conflict) -> String {
        var members = [
            ("id", uuid(c.id)), ("record", uuid(c.record)), ("field", string(c.field)), ("base", value(c.base)),
            ("current", value(c.current)), ("held", value(c.held)), ("heldBy", authorship(c.heldBy)), ("openedAt", string(c.openedAt)),
            ("status", string(c.status)),
        ]
        if let resolution = c.resolution {
            members.append(
                (
                    "resolution",
                    object([
                        ("choice", "\"\(resolution.choice.rawValue)\""), ("value", value(resolution.value)),
                        ("by", authorship(resolution.by)),
                    ])
                ))
        } else if Bool.random(using: &rng) {
            members.append(("resolution", "null"))
        }
        return object(members)
    }

    mutating func authorship(_ a: Authorship) -> String {
        object([
            ("user", string(a.user)), ("device", uuid(a.device)), ("changeSet", uuid(a.changeSet)), ("madeAt", string(a.madeAt)),
            ("receivedAt", string(a.receivedAt)),
        ])
    }
}
