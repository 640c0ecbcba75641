import FieldSyncProtocol
import Foundation
import PropertyBased
import Testing

/// `ChangeSetFastDecoder` either returns what `JSONDecoder` returns for the same bytes, or nil.
@Suite("ChangeSetFastDecoder")
struct ChangeSetFastDecoderTests {
    // MARK: Properties

    /// Change sets as `WireProtocol.makeEncoder()` writes them read back to the value encoded.
    @Test func encodedChangeSetsDecodeToTheValueEncodedAndToJSONDecodersValue() async {
        await propertyCheck(count: 400, input: FastDecoderSample.generator) { sample in
            let fast = ChangeSetFastDecoder.decode(sample.encoded)
            #expect(fast == sample.expected)
            #expect(fast == referenceDecode(sample.encoded))
        }
    }

    /// The same values written with other whitespace, member order, UUID case, string escapes
    /// (`\uXXXX`, surrogate pairs, `\/`) and explicit `null` for absent optional members.
    @Test func reserialisedChangeSetsDecodeToTheSameValue() async {
        await propertyCheck(count: 400, input: FastDecoderSample.generator) { sample in
            let body = Data(sample.rewritten.utf8)
            let fast = ChangeSetFastDecoder.decode(body)
            #expect(fast == sample.expected, "\(sample.rewritten)")
            #expect(fast == referenceDecode(body))
        }
    }

    /// Bodies with bytes truncated, flipped, inserted, deleted or repeated: whenever the fast
    /// decoder accepts one, `JSONDecoder` accepts it too, with an equal value.
    @Test func mutatedBodiesAreRefusedOrDecodedAsJSONDecoderDecodesThem() {
        var rng = Xoshiro(seed: (0xF1E1_D5CC, 0x0000_5EED, 0xC4A9_6E5E, 0x7E57))
        let bodies: [[UInt8]] = (0..<60).map { n in
            let sample = FastDecoderSample.make(&rng, maxOperations: 3)
            return n.isMultiple(of: 2) ? [UInt8](sample.encoded) : Array(sample.rewritten.utf8)
        }
        let (accepted, refusedButValid) = FastDecoderSample.checkMutants(
            of: bodies, &rng, fast: { ChangeSetFastDecoder.decode($0) }, reference: referenceDecode)
        // Both paths are exercised: some mutants are still plain JSON, and some only JSONDecoder takes.
        #expect(accepted > 100)
        #expect(refusedButValid > 10)
    }

    // MARK: Refusals

    @Test(arguments: Refusal.all)
    func refuses(_ refusal: Refusal) {
        let body = Data(refusal.bytes)
        #expect(ChangeSetFastDecoder.decode(body) == nil)
        let reference = Result { try WireProtocol.makeDecoder().decode(ChangeSet.self, from: body) }
        switch (refusal.jsonDecoder, reference) {
        case (.fails, .failure), (.succeeds, .success), (.notStated, _): break
        case (.fails, .success(let value)): Issue.record("JSONDecoder decoded \(value)")
        case (.succeeds, .failure(let error)): Issue.record("JSONDecoder failed: \(error)")
        }
    }

    @Test func emptyInputIsRefused() {
        #expect(ChangeSetFastDecoder.decode(Data()) == nil)
        #expect(referenceDecode(Data()) == nil)
        [UInt8]().withUnsafeBytes { #expect(ChangeSetFastDecoder.decode($0) == nil) }
    }

    // MARK: Acceptances

    @Test(arguments: Acceptance.all)
    func accepts(_ acceptance: Acceptance) throws {
        let body = Data(acceptance.json.utf8)
        let reference = try WireProtocol.makeDecoder().decode(ChangeSet.self, from: body)
        let fast = try #require(ChangeSetFastDecoder.decode(body))
        #expect(fast == reference)
        #expect(fast.operations.count <= 1 && fast.operations.allSatisfy(acceptance.check))
        Array(body).withUnsafeBytes { #expect(ChangeSetFastDecoder.decode($0) == reference) }
    }
}

private func referenceDecode(_ body: Data) -> ChangeSet? {
    try? WireProtocol.makeDecoder().decode(ChangeSet.self, from: body)
}

// MARK: - Hand-written cases

private let idA = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"
private let idB = "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"
private let idC = "0F8FAD5B-D9CB-469F-A165-70867728950E"
private let fieldsMark = "{\"notes\":\"x\"}"
private let operationMark =
    "{\"op\":\"create\",\"record\":\"\(idB)\",\"kind\":\"visit\",\"youngPerson\":\"\(idC)\",\"fields\":\(fieldsMark)}"
/// One create; the cases below replace parts of it.
private let validBody =
    "{\"id\":\"\(idA)\",\"deviceSequence\":1,\"madeAt\":\"2026-11-22T09:30:00.000Z\",\"operations\":[\(operationMark)]}"

private func body(replacing part: String, with replacement: String) -> String {
    precondition(validBody.contains(part))
    return validBody.replacingOccurrences(of: part, with: replacement)
}

private func body(operation: String) -> String { body(replacing: operationMark, with: operation) }
private func body(fields: String) -> String { body(replacing: fieldsMark, with: fields) }
private func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }

/// A body the fast decoder refuses, and what `JSONDecoder` does with it.
struct Refusal: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable { case fails, succeeds, notStated }
    let name: String
    let bytes: [UInt8]
    let jsonDecoder: Outcome
    var testDescription: String { name }

    init(_ name: String, _ text: String, jsonDecoder: Outcome) {
        self.init(name, Array(text.utf8), jsonDecoder: jsonDecoder)
    }

    init(_ name: String, _ bytes: [UInt8], jsonDecoder: Outcome) {
        self.name = name
        self.bytes = bytes
        self.jsonDecoder = jsonDecoder
    }

    /// A body whose `notes` field is `"`, these raw bytes, `"`.
    static func rawNotes(_ name: String, _ raw: [UInt8], jsonDecoder: Outcome) -> Refusal {
        let parts = body(fields: "{\"notes\":\"@\"}").split(separator: "@", omittingEmptySubsequences: false)
        return Refusal(name, Array(parts[0].utf8) + raw + Array(parts[1].utf8), jsonDecoder: jsonDecoder)
    }

    static let plainOperation = "\"op\":\"create\",\"record\":\"\(idB)\""

    static let all: [Refusal] = [
        // Members synthesized Codable ignores, or reads the first of.
        Refusal(
            "unknown change set member", body(replacing: "\"deviceSequence\"", with: "\"extra\":1,\"deviceSequence\""),
            jsonDecoder: .succeeds),
        Refusal("unknown operation member", body(fields: "{},\"note\":\"x\""), jsonDecoder: .succeeds),
        Refusal(
            "member name differing only in case", body(replacing: "\"madeAt\"", with: "\"madeat\":\"x\",\"madeAt\""), jsonDecoder: .succeeds
        ),
        Refusal(
            "duplicate change set member", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":1,\"deviceSequence\":2"),
            jsonDecoder: .succeeds),
        Refusal("duplicate operation member", body(fields: "{},\"state\":\"a\",\"state\":\"b\""), jsonDecoder: .succeeds),
        Refusal("duplicate optional member given null first", body(fields: "{},\"state\":null,\"state\":\"b\""), jsonDecoder: .succeeds),
        Refusal("duplicate fields key", body(fields: "{\"a\":1,\"a\":2}"), jsonDecoder: .succeeds),
        Refusal("duplicate key in a nested value", body(fields: "{\"a\":[{\"k\":true,\"k\":false}]}"), jsonDecoder: .succeeds),
        Refusal("keys equal only as Swift strings (NFC and NFD)", body(fields: "{\"\u{E9}\":1,\"e\u{301}\":2}"), jsonDecoder: .succeeds),
        Refusal("escaped member name", body(replacing: "\"id\"", with: "\"\\u0069d\""), jsonDecoder: .succeeds),
        // Required members missing or null.
        Refusal("null id", body(replacing: "\"\(idA)\"", with: "null"), jsonDecoder: .fails),
        Refusal("null deviceSequence", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":null"), jsonDecoder: .fails),
        Refusal("null madeAt", body(replacing: "\"2026-11-22T09:30:00.000Z\"", with: "null"), jsonDecoder: .fails),
        Refusal("null operations", body(replacing: "[\(operationMark)]", with: "null"), jsonDecoder: .fails),
        Refusal("null op", body(operation: "{\"op\":null,\"record\":\"\(idB)\"}"), jsonDecoder: .fails),
        Refusal("null record", body(operation: "{\"op\":\"delete\",\"record\":null,\"base\":1}"), jsonDecoder: .fails),
        Refusal("missing id", body(replacing: "\"id\":\"\(idA)\",", with: ""), jsonDecoder: .fails),
        Refusal("missing op", body(operation: "{\"record\":\"\(idB)\"}"), jsonDecoder: .fails),
        Refusal("missing record", body(operation: "{\"op\":\"delete\"}"), jsonDecoder: .fails),
        // Wrong JSON types.
        Refusal(
            "deviceSequence as a string", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":\"1\""), jsonDecoder: .fails),
        Refusal("madeAt as a number", body(replacing: "\"2026-11-22T09:30:00.000Z\"", with: "5"), jsonDecoder: .fails),
        Refusal("operations as an object", body(replacing: "[\(operationMark)]", with: "{}"), jsonDecoder: .fails),
        Refusal("operation as an array", body(operation: "[]"), jsonDecoder: .fails),
        Refusal("fields as an array", body(fields: "[]"), jsonDecoder: .fails),
        Refusal("kind as a number", body(replacing: "\"visit\"", with: "1"), jsonDecoder: .fails),
        Refusal("base as a boolean", body(operation: "{\(plainOperation),\"base\":true}"), jsonDecoder: .fails),
        Refusal("state as an array", body(operation: "{\(plainOperation),\"state\":[\"draft\"]}"), jsonDecoder: .fails),
        Refusal("a top-level array", "[\(validBody)]", jsonDecoder: .fails),
        Refusal("a top-level string", "\"x\"", jsonDecoder: .fails),
        // Numbers.
        Refusal(
            "deviceSequence with a fraction", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":1.0"),
            jsonDecoder: .succeeds),
        Refusal("base with an exponent", body(operation: "{\(plainOperation),\"base\":2E0}"), jsonDecoder: .succeeds),
        Refusal("a field with a fraction (JSONValue.number)", body(fields: "{\"a\":1.5}"), jsonDecoder: .succeeds),
        Refusal("a field with an exponent", body(fields: "{\"a\":1e2}"), jsonDecoder: .succeeds),
        Refusal("a field with a negative exponent", body(fields: "{\"a\":[5e-1]}"), jsonDecoder: .succeeds),
        Refusal("a field above Int64.max (JSONValue.number)", body(fields: "{\"a\":9223372036854775808}"), jsonDecoder: .succeeds),
        Refusal("a field below Int64.min", body(fields: "{\"a\":-9223372036854775809}"), jsonDecoder: .succeeds),
        Refusal("a field of 30 digits", body(fields: "{\"a\":123456789012345678901234567890}"), jsonDecoder: .succeeds),
        Refusal(
            "deviceSequence above Int64.max", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":9223372036854775808"),
            jsonDecoder: .fails),
        Refusal(
            "deviceSequence with a leading zero", body(replacing: "\"deviceSequence\":1", with: "\"deviceSequence\":01"),
            jsonDecoder: .fails),
        Refusal("a field with leading zeros", body(fields: "{\"a\":007}"), jsonDecoder: .fails),
        Refusal("a negative field with a leading zero", body(fields: "{\"a\":-01}"), jsonDecoder: .fails),
        Refusal("a field with a plus sign", body(fields: "{\"a\":+1}"), jsonDecoder: .fails),
        Refusal("a bare minus", body(fields: "{\"a\":-}"), jsonDecoder: .fails),
        Refusal("a trailing decimal point", body(fields: "{\"a\":1.}"), jsonDecoder: .fails),
        // Strings.
        Refusal("unknown escape \\x", body(fields: "{\"a\":\"\\x41\"}"), jsonDecoder: .fails),
        Refusal("upper-case \\U escape", body(fields: "{\"a\":\"\\U0041\"}"), jsonDecoder: .fails),
        Refusal("short \\u escape", body(fields: "{\"a\":\"\\u41\"}"), jsonDecoder: .fails),
        Refusal("non-hex \\u escape", body(fields: "{\"a\":\"\\u00G1\"}"), jsonDecoder: .fails),
        Refusal("backslash at the end of the input", "{\"madeAt\":\"x\\", jsonDecoder: .fails),
        Refusal("lone high surrogate", body(fields: "{\"a\":\"\\ud800\"}"), jsonDecoder: .fails),
        Refusal("high surrogate then a letter", body(fields: "{\"a\":\"\\uD83Dx\"}"), jsonDecoder: .fails),
        Refusal("high surrogate then a BMP escape", body(fields: "{\"a\":\"\\ud83d\\u0041\"}"), jsonDecoder: .fails),
        Refusal("two high surrogates", body(fields: "{\"a\":\"\\ud83d\\ud83d\"}"), jsonDecoder: .fails),
        Refusal("lone low surrogate", body(fields: "{\"a\":\"\\ude00\"}"), jsonDecoder: .fails),
        Refusal("lone surrogate in a key", body(fields: "{\"\\udc00\":1}"), jsonDecoder: .fails),
        rawNotes("invalid UTF-8 byte 0xFF", [0xFF], jsonDecoder: .fails),
        rawNotes("stray continuation byte", [0x61, 0x80], jsonDecoder: .fails),
        rawNotes("overlong encoding of /", [0xC0, 0xAF], jsonDecoder: .fails),
        rawNotes("truncated three-byte sequence", [0xE2, 0x82], jsonDecoder: .fails),
        rawNotes("UTF-8 encoded surrogate", [0xED, 0xA0, 0x80], jsonDecoder: .fails),
        rawNotes("code point above U+10FFFF", [0xF4, 0x90, 0x80, 0x80], jsonDecoder: .fails),
        rawNotes("raw tab", [0x09], jsonDecoder: .fails),
        rawNotes("raw newline", [0x61, 0x0A, 0x62], jsonDecoder: .fails),
        rawNotes("raw NUL", [0x00], jsonDecoder: .fails),
        rawNotes("raw 0x1F", [0x1F], jsonDecoder: .fails),
        Refusal("raw control character in madeAt", body(replacing: "09:30", with: "09:\u{1}30"), jsonDecoder: .fails),
        Refusal("unterminated string", body(fields: "{\"a\":\"x}]}"), jsonDecoder: .fails),
        Refusal("single-quoted string", body(fields: "{\"a\":'x'}"), jsonDecoder: .fails),
        // UUIDs.
        Refusal("UUID without hyphens", body(replacing: idA, with: idA.replacingOccurrences(of: "-", with: "")), jsonDecoder: .fails),
        Refusal("UUID in braces", body(replacing: "\"\(idA)\"", with: "\"{\(idA)}\""), jsonDecoder: .fails),
        Refusal("UUID one digit short", body(replacing: idA, with: String(idA.dropLast())), jsonDecoder: .fails),
        Refusal("UUID one digit long", body(replacing: idA, with: idA + "0"), jsonDecoder: .fails),
        Refusal("UUID with a non-hex digit", body(replacing: idB, with: "1B4E28BA-2FA1-11D2-883F-0016D3CCA42G"), jsonDecoder: .fails),
        // Linux Foundation's UUID(uuidString:) parses each group strtoul-style, so it reads the next three
        // (this one as ...3E6E05); not 8-4-4-4-12 hex, so refused. Other platforms may differ: not stated.
        Refusal("UUID with a leading space", body(replacing: idA, with: " E621E1F8-C36C-495A-93FC-0C247A3E6E5"), jsonDecoder: .notStated),
        Refusal("UUID with a hyphen moved", body(replacing: idC, with: "0F8FAD5BD-9CB-469F-A165-70867728950E"), jsonDecoder: .notStated),
        Refusal("UUID with a plus sign", body(replacing: idA, with: "+621E1F8-C36C-495A-93FC-0C247A3E6E5F"), jsonDecoder: .notStated),
        Refusal("UUID with an escape", body(replacing: idA, with: "\\u0045621E1F8-C36C-495A-93FC-0C247A3E6E5F"), jsonDecoder: .succeeds),
        Refusal("youngPerson as a number", body(replacing: "\"\(idC)\"", with: "42"), jsonDecoder: .fails),
        // Raw values.
        Refusal("op in upper case", body(replacing: "\"create\"", with: "\"Create\""), jsonDecoder: .fails),
        Refusal("unknown op", body(replacing: "\"create\"", with: "\"merge\""), jsonDecoder: .fails),
        Refusal("op with a trailing space", body(replacing: "\"create\"", with: "\"create \""), jsonDecoder: .fails),
        Refusal("unknown kind", body(replacing: "\"visit\"", with: "\"note\""), jsonDecoder: .fails),
        Refusal("empty kind", body(replacing: "\"visit\"", with: "\"\""), jsonDecoder: .fails),
        Refusal("unknown choice", body(operation: "{\"op\":\"resolve\",\"record\":\"\(idB)\",\"choice\":\"mine\"}"), jsonDecoder: .fails),
        Refusal("escaped op", body(replacing: "\"create\"", with: "\"\\u0063reate\""), jsonDecoder: .succeeds),
        // Structure.
        Refusal("nesting 65 deep", body(fields: "{\"a\":\(nested(61))}"), jsonDecoder: .succeeds),
        Refusal("nesting 600 deep", body(fields: "{\"a\":\(nested(596))}"), jsonDecoder: .fails),
        Refusal("trailing letter", validBody + "x", jsonDecoder: .fails),
        Refusal("trailing second object", validBody + " {}", jsonDecoder: .fails),
        Refusal("trailing NUL", Array(validBody.utf8) + [0], jsonDecoder: .fails),
        // Not JSON, but swift-foundation's JSONDecoder skips a trailing comma.
        Refusal("trailing comma in an object", body(fields: "{\"a\":1,}"), jsonDecoder: .succeeds),
        Refusal("trailing comma in an array", body(fields: "{\"a\":[1,]}"), jsonDecoder: .succeeds),
        Refusal("trailing comma in operations", body(replacing: "[\(operationMark)]", with: "[\(operationMark),]"), jsonDecoder: .succeeds),
        Refusal("trailing comma in the change set", body(replacing: "]}", with: "],}"), jsonDecoder: .succeeds),
        Refusal("two commas in an array", body(fields: "{\"a\":[1,,2]}"), jsonDecoder: .fails),
        Refusal("leading comma in an array", body(fields: "{\"a\":[,1]}"), jsonDecoder: .fails),
        Refusal("missing colon", body(fields: "{\"a\" 1}"), jsonDecoder: .fails),
        Refusal("missing comma", body(fields: "{\"a\":1 \"b\":2}"), jsonDecoder: .fails),
        Refusal("unclosed object", String(validBody.dropLast()), jsonDecoder: .fails),
        Refusal("truncated literal", body(fields: "{\"a\":tru}"), jsonDecoder: .fails),
        Refusal("capitalised literal", body(fields: "{\"a\":True}"), jsonDecoder: .fails),
        Refusal("literal run on", body(fields: "{\"a\":nulls}"), jsonDecoder: .fails),
        Refusal("comment", body(replacing: "{\"id\"", with: "{/* c */\"id\""), jsonDecoder: .fails),
        Refusal("byte-order mark", [0xEF, 0xBB, 0xBF] + Array(validBody.utf8), jsonDecoder: .succeeds),
        Refusal("non-JSON whitespace (form feed)", body(replacing: "{\"id\"", with: "{\u{0C}\"id\""), jsonDecoder: .fails),
        Refusal("whitespace only", "  \n", jsonDecoder: .fails),
        Refusal("empty object", "{}", jsonDecoder: .fails),
    ]
}

/// A body the fast decoder accepts, with a check on its one operation (the change set is
/// also compared to `JSONDecoder`'s).
struct Acceptance: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let check: @Sendable (ChangeOperation) -> Bool
    var testDescription: String { name }

    init(_ name: String, _ json: String, check: @escaping @Sendable (ChangeOperation) -> Bool) {
        self.name = name
        self.json = json
        self.check = check
    }

    static let all: [Acceptance] = [
        Acceptance("the plain body", validBody) { $0.fields == ["notes": "x"] && $0.kind == .visit },
        Acceptance(
            "lower- and mixed-case UUIDs",
            body(replacing: idB, with: idB.lowercased()).replacingOccurrences(of: "E621E1F8", with: "e621E1f8")
        ) {
            $0.record == UUID(uuidString: idB)
        },
        Acceptance(
            "optional members given null are nil",
            body(
                operation:
                    "{\(Refusal.plainOperation),\"kind\":null,\"youngPerson\":null,\"state\":null,\"base\":null,\"fields\":null,\"baseFields\":null,\"to\":null,\"reason\":null,\"conflict\":null,\"choice\":null,\"value\":null}"
            )
        ) {
            $0 == ChangeOperation(op: .create, record: UUID(uuidString: idB)!)
        },
        Acceptance(
            "value null is nil, as decodeIfPresent makes it",
            body(
                operation:
                    "{\"op\":\"resolve\",\"record\":\"\(idB)\",\"base\":3,\"conflict\":\"\(idC)\",\"choice\":\"value\",\"value\":null}")
        ) {
            $0.value == nil && $0.choice == .value && $0.base == 3
        },
        Acceptance(
            "a value of every JSON type",
            body(
                operation:
                    "{\"op\":\"resolve\",\"record\":\"\(idB)\",\"choice\":\"held\",\"value\":[null,true,false,0,-7,\"s\",[],{},{\"k\":[1]}]}"
            )
        ) {
            $0.value == ([nil, true, false, 0, -7, "s", [], [:], ["k": [1]]] as JSONValue)
        },
        Acceptance("null inside fields is JSONValue.null", body(fields: "{\"a\":null,\"b\":[null]}")) {
            $0.fields == ["a": .null, "b": [nil]]
        },
        Acceptance("empty fields and strings", body(fields: "{\"\":\"\"}")) { $0.fields == ["": ""] },
        Acceptance("Int64 extremes and minus zero", body(fields: "{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"z\":-0}")) {
            $0.fields == ["max": .integer(.max), "min": .integer(.min), "z": 0]
        },
        Acceptance("every escape", body(fields: #"{"e\u00e9":"\"\\\/\b\f\n\r\t\u0000\u001f\u00E9\u20ac\ud83d\ude00\uDBFF\uDFFF"}"#)) {
            $0.fields == ["e\u{E9}": .string("\"\\/\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{E9}\u{20AC}\u{1F600}\u{10FFFF}")]
        },
        Acceptance("raw non-ASCII and DEL", body(fields: "{\"a\":\"caf\u{E9} \u{2019} \u{4E2D} \u{1F469}\u{200D}\u{1F467} \u{7F}\"}")) {
            $0.fields?["a"] == .string("caf\u{E9} \u{2019} \u{4E2D} \u{1F469}\u{200D}\u{1F467} \u{7F}")
        },
        Acceptance("nesting 64 deep", body(fields: "{\"a\":\(nested(60))}")) { $0.fields?["a"]?.arrayValue != nil },
        Acceptance(
            "whitespace everywhere",
            " \r\n\t{ \"operations\" :\n[\t{\r\"fields\"\t: { \"a\" :\n[ 1 ,\t2 ] , \"b\"\r: { } } , \"op\":\"create\"\n,\"record\" : \"\(idB)\" } ] ,\r\n\"madeAt\" : \"\" , \"deviceSequence\"\t:\t-5 ,\"id\":\"\(idA)\"\n}\n "
        ) {
            $0.fields == ["a": [1, 2], "b": [:]]
        },
        Acceptance("no operations", body(replacing: "[\(operationMark)]", with: "[ ]")) { _ in false },
        Acceptance(
            "every operation member",
            body(
                operation:
                    "{\"value\":\"v\",\"choice\":\"current\",\"conflict\":\"\(idA)\",\"reason\":\"r\",\"to\":\"t\",\"baseFields\":{\"a\":1},\"fields\":{\"a\":2},\"base\":9,\"state\":\"s\",\"youngPerson\":\"\(idC)\",\"kind\":\"pep\",\"record\":\"\(idB)\",\"op\":\"update\"}"
            )
        ) {
            $0
                == ChangeOperation(
                    op: .update, record: UUID(uuidString: idB)!, kind: .pep, youngPerson: UUID(uuidString: idC)!, state: "s", base: 9,
                    fields: ["a": 2], baseFields: ["a": 1], to: "t", reason: "r", conflict: UUID(uuidString: idA)!, choice: .current,
                    value: "v")
        },
    ]
}

// MARK: - Generated change sets

/// A random change set, its bytes from `WireProtocol.makeEncoder()`, and the same value written
/// another way by ``Relayout``.
struct FastDecoderSample: Sendable, CustomTestStringConvertible {
    var changeSet: ChangeSet
    var encoded: Data
    var rewritten: String

    var testDescription: String { String(decoding: encoded, as: UTF8.self) }

    /// What decoding gives: the encoder writes `value: .null` as `null`, which decodes as nil.
    var expected: ChangeSet {
        var result = changeSet
        for n in result.operations.indices where result.operations[n].value == .null { result.operations[n].value = nil }
        return result
    }

    static let generator = Generator<FastDecoderSample, Shrink.None<FastDecoderSample>> { rng in
        make(&rng, maxOperations: 6)
    }

    static func make(_ rng: inout some RandomNumberGenerator, maxOperations: Int) -> FastDecoderSample {
        let changeSet = ChangeSet(
            id: uuid(&rng), deviceSequence: int64(&rng),
            madeAt: Bool.random(using: &rng) ? "2026-11-22T09:30:00.000Z" : string(&rng),
            operations: (0..<Int.random(in: 0...maxOperations, using: &rng)).map { _ in operation(&rng) })
        let encoded = try! WireProtocol.makeEncoder().encode(changeSet)
        var writer = Relayout(rng: Xoshiro(seed: (rng.next(), rng.next(), rng.next(), rng.next())))
        return FastDecoderSample(changeSet: changeSet, encoded: encoded, rewritten: writer.changeSet(changeSet))
    }

    static func uuid(_ rng: inout some RandomNumberGenerator) -> UUID {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let high = rng.next() as UInt64
        let low = rng.next() as UInt64
        withUnsafeMutableBytes(of: &bytes) { raw in
            raw.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: bytes)
    }

    static func int64(_ rng: inout some RandomNumberGenerator) -> Int64 {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: [0, 1, -1, .max, .min, .max - 1, .min + 1, 10, 100].randomElement(using: &rng)!
        case 1: Int64.random(in: .min ... .max, using: &rng)
        default: Int64.random(in: -1_000...100_000, using: &rng)
        }
    }

    /// Pieces chosen to stress escaping and UTF-8: quotes, backslashes, slashes, every kind of
    /// control character, combining marks, CJK, emoji (with ZWJ), U+2028, BOM, U+10FFFF.
    static let pieces: [String] = [
        "a", "Z", "7", " ", "visit", "\"", "\\", "/", "\n", "\r\n", "\t", "\u{0}", "\u{1}", "\u{8}", "\u{C}", "\u{1F}", "\u{7F}",
        "\u{E9}", "e\u{301}", "\u{2019}", "\u{4E2D}\u{6587}", "\u{1F600}", "\u{1F469}\u{200D}\u{1F467}", "\u{2028}",
        "\u{FEFF}", "\u{10FFFF}", "{", "}", "[", ",", ":", "null", "\\u0041", "-0", "1e5",
    ]

    static func string(_ rng: inout some RandomNumberGenerator) -> String {
        let count = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 60...250, using: &rng) : Int.random(in: 0...6, using: &rng)
        var text = ""
        for _ in 0..<count { text += pieces.randomElement(using: &rng)! }
        return text
    }

    static func value(_ rng: inout some RandomNumberGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &rng) {
        case 0: .null
        case 1: .bool(Bool.random(using: &rng))
        case 2: .integer(int64(&rng))
        case 3, 4: .string(string(&rng))
        case 5, 6: .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(&rng, depth: depth - 1) })
        default: .object(fields(&rng, depth: depth - 1))
        }
    }

    static func fields(_ rng: inout some RandomNumberGenerator, depth: Int) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...5, using: &rng) { fields[string(&rng)] = value(&rng, depth: depth) }
        return fields
    }

    /// Each type with the members it needs, plus now and then any other optional member.
    static func operation(_ rng: inout some RandomNumberGenerator) -> ChangeOperation {
        var op = ChangeOperation(op: OperationType.allCases.randomElement(using: &rng)!, record: uuid(&rng))
        func sometimes(_ needed: Bool, _ rng: inout some RandomNumberGenerator) -> Bool {
            Int.random(in: 0..<(needed ? 10 : 5), using: &rng) != 0 ? needed : !needed
        }
        if sometimes(op.op == .create, &rng) { op.kind = RecordKind.allCases.randomElement(using: &rng)! }
        if sometimes(op.op == .create, &rng) { op.youngPerson = uuid(&rng) }
        if sometimes(false, &rng) { op.state = string(&rng) }
        if sometimes(op.op != .create, &rng) { op.base = int64(&rng) }
        if sometimes(op.op == .create || op.op == .update, &rng) { op.fields = fields(&rng, depth: 3) }
        if sometimes(op.op == .update, &rng) { op.baseFields = fields(&rng, depth: 3) }
        if sometimes(op.op == .transition, &rng) { op.to = string(&rng) }
        if sometimes(false, &rng) { op.reason = string(&rng) }
        if sometimes(op.op == .resolve, &rng) { op.conflict = uuid(&rng) }
        if sometimes(op.op == .resolve, &rng) { op.choice = [ResolutionChoice.current, .held, .value].randomElement(using: &rng)! }
        if sometimes(op.choice == .value, &rng) { op.value = value(&rng, depth: 3) }
        return op
    }

    /// Mutates `bodies` 2,000 times (one or two mutations each) and checks that whenever `fast`
    /// accepts a mutant, `reference` (JSONDecoder) accepts it with an equal value. Returns how many
    /// the fast reader accepted and how many only the reference took, so a test can check that
    /// both paths were exercised.
    static func checkMutants<T: Equatable>(
        of bodies: [[UInt8]], _ rng: inout some RandomNumberGenerator, fast: (Data) -> T?, reference: (Data) -> T?
    ) -> (accepted: Int, refusedButValid: Int) {
        var accepted = 0
        var refusedButValid = 0
        for n in 0..<2_000 {
            var bytes = bodies[n % bodies.count]
            for _ in 0..<Int.random(in: 1...2, using: &rng) { mutate(&bytes, &rng) }
            let body = Data(bytes)
            let expected = reference(body)
            if let value = fast(body) {
                accepted += 1
                #expect(expected == value, "\(String(decoding: bytes, as: UTF8.self))")
            } else if expected != nil {
                refusedButValid += 1
            }
        }
        return (accepted, refusedButValid)
    }

    /// Truncates, flips a bit, inserts, deletes, replaces or repeats bytes at a random place.
    static func mutate(_ bytes: inout [UInt8], _ rng: inout some RandomNumberGenerator) {
        guard !bytes.isEmpty else { return }
        let interesting: [UInt8] = Array("\"\\,:{}[]0-.eE n\t".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xFF]
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: bytes.removeSubrange(at...)
        case 1: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
        case 2: bytes.insert(interesting.randomElement(using: &rng)!, at: at)
        case 3: bytes.remove(at: at)
        case 4: bytes[at] = interesting.randomElement(using: &rng)!
        default:
            let length = Int.random(in: 1...min(40, bytes.count - at), using: &rng)
            bytes.insert(contentsOf: bytes[at..<(at + length)], at: Int.random(in: 0...bytes.count, using: &rng))
        }
    }
}

/// Writes a change set as JSON some other way than `JSONEncoder`: random whitespace (of the
/// four JSON kinds), shuffled members, UUIDs in random case, optional members absent or `null`,
/// characters randomly written as `\uXXXX` escapes (surrogate pairs above U+FFFF) and `/` as `\/`.
struct Relayout {
    var rng: Xoshiro

    mutating func changeSet(_ c: ChangeSet) -> String {
        object([
            ("id", uuid(c.id)), ("deviceSequence", String(c.deviceSequence)), ("madeAt", string(c.madeAt)),
            ("operations", array(c.operations.map { operation($0) })),
        ])
    }

    mutating func operation(_ o: ChangeOperation) -> String {
        var members: [(String, String?)] = [("op", "\"\(o.op.rawValue)\""), ("record", uuid(o.record))]
        members.append(("kind", o.kind.map { "\"\($0.rawValue)\"" }))
        members.append(("youngPerson", o.youngPerson.map { uuid($0) }))
        members.append(("state", o.state.map { string($0) }))
        members.append(("base", o.base.map { String($0) }))
        members.append(("fields", o.fields.map { object($0) }))
        members.append(("baseFields", o.baseFields.map { object($0) }))
        members.append(("to", o.to.map { string($0) }))
        members.append(("reason", o.reason.map { string($0) }))
        members.append(("conflict", o.conflict.map { uuid($0) }))
        members.append(("choice", o.choice.map { "\"\($0.rawValue)\"" }))
        members.append(("value", o.value.map { value($0) }))
        return object(
            members.compactMap { name, text in
                if let text { return (name, text) }
                return Bool.random(using: &rng) ? (name, "null") : nil
            })
    }

    mutating func space() -> String {
        ["", "", "", " ", "\n", "\t", "\r\n  ", "  "].randomElement(using: &rng)!
    }

    mutating func object(_ members: [(String, String)]) -> String {
        let parts = members.shuffled(using: &rng).map { name, text in "\(space())\"\(name)\"\(space()):\(space())\(text)\(space())" }
        return "{" + parts.joined(separator: ",") + space() + "}"
    }

    mutating func object(_ members: [String: JSONValue]) -> String {
        object(members.map { key, member in (String(string(key).dropFirst().dropLast()), value(member)) })
    }

    mutating func array(_ items: [String]) -> String {
        "[" + space() + items.map { $0 + space() }.joined(separator: "," + space()) + "]"
    }

    mutating func value(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): "\(d)"
        case .string(let s): string(s)
        case .array(let items): array(items.map { value($0) })
        case .object(let members): object(members)
        }
    }

    mutating func uuid(_ id: UUID) -> String {
        let text = id.uuidString
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return "\"\(text)\""
        case 1: return "\"\(text.lowercased())\""
        default:
            var mixed = ""
            for c in text { mixed += Bool.random(using: &rng) ? c.lowercased() : String(c) }
            return "\"\(mixed)\""
        }
    }

    mutating func hex(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        let padded = String(repeating: "0", count: 4 - digits.count) + digits
        return "\\u" + (Bool.random(using: &rng) ? padded.uppercased() : padded)
    }

    mutating func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let escape = Int.random(in: 0..<8, using: &rng) == 0
            switch scalar {
            case "\"": out += escape ? hex(0x22) : "\\\""
            case "\\": out += escape ? hex(0x5C) : "\\\\"
            case "/": out += escape ? "\\/" : "/"
            case "\u{8}": out += escape ? hex(8) : "\\b"
            case "\u{C}": out += escape ? hex(0xC) : "\\f"
            case "\n": out += escape ? hex(0xA) : "\\n"
            case "\r": out += escape ? hex(0xD) : "\\r"
            case "\t": out += escape ? hex(9) : "\\t"
            case _ where scalar.value < 0x20: out += hex(UInt16(scalar.value))
            case _ where escape: for unit in String(scalar).utf16 { out += hex(unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
