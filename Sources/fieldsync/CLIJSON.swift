import Foundation

/// The `--json` printer: pretty, sorted keys, and every UUID in lower case, as the text output
/// writes them (Foundation's `JSONEncoder` writes a `UUID` upper case).
enum CLIJSON {
    /// `pretty: false` writes one line (`watch --json` prints one document a line).
    static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        var bytes = [UInt8](try encoder.encode(value))
        lowercaseUUIDStrings(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Lower-cases every JSON string that is exactly a UUID (`"8-4-4-4-12"` hex digits).
    static func lowercaseUUIDStrings(_ bytes: inout [UInt8]) {
        let quote = UInt8(ascii: "\"")
        var i = 0
        // Bounded by the bytes: each round moves `i` forward.
        while i + 37 < bytes.count {
            if bytes[i] == quote, bytes[i + 37] == quote, isUUID(bytes[(i + 1)...(i + 36)]) {
                for j in (i + 1)...(i + 36) where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(bytes[j]) {
                    bytes[j] += 32
                }
                i += 38
            } else {
                i += 1
            }
        }
    }

    private static func isUUID(_ text: ArraySlice<UInt8>) -> Bool {
        for (offset, byte) in text.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), !(UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte),
                !(UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
            {
                return false
            }
        }
        return true
    }
}
