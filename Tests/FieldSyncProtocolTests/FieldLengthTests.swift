import FieldSyncProtocol
import Testing

/// Length limits count characters and UTF-8 bytes (issue 9, finding 14).
@Suite("Field length limits in characters and UTF-8 bytes")
struct FieldLengthTests {
    func check(_ s: String, max: Int = 2_000) -> ValidationError? {
        do {
            try FieldValidation.checkLength(s, maxLength: max, path: "purpose", context: "test")
            return nil
        } catch {
            return error
        }
    }

    @Test("One character with a million combining accents is refused by its bytes")
    func stackedAccents() {
        let error = check("a" + String(repeating: "\u{301}", count: 1_000_000))
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("bytes in UTF-8") == true)
    }

    @Test("At the character limit with multi-byte characters is accepted; one over is refused by its count")
    func boundaries() {
        #expect(check(String(repeating: "\u{E9}", count: 2_000)) == nil, "4,000 bytes")
        #expect(check(String(repeating: "\u{1F44D}", count: 2_000)) == nil, "8,000 bytes: four per character is allowed")
        #expect(check(String(repeating: "x", count: 2_001))?.message.contains("2001 characters") == true)
        #expect(check(String(repeating: "x", count: 2_000)) == nil)
    }

    @Test("The same bound applies through a record schema's text and string fields")
    func throughTheSchema() {
        let stacked = JSONValue.string("a" + String(repeating: "\u{301}", count: 10_000))
        #expect(throws: ValidationError.self) {
            try FieldValidation.check(["purpose": stacked], of: .visit, context: "op 1")
        }
    }
}
