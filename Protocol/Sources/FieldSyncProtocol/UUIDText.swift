import Foundation

/// A UUID's 36-character text, written from its bytes.
///
/// `UUID.uuidString` goes through `sprintf` on Linux; the server's writer spells several ids per
/// operation (storage keys upper case, as `uuidString`; the audit trail lower case), so this
/// writes the same text straight from the 16 bytes.
package enum UUIDText {
    private static let upper: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let lower: [UInt8] = Array("0123456789abcdef".utf8)

    /// The same text as `id.uuidString`.
    package static func uppercase(_ id: UUID) -> String { text(id, digits: upper) }

    /// The same text as `id.uuidString.lowercased()`.
    package static func lowercase(_ id: UUID) -> String { text(id, digits: lower) }

    package static func appendUppercase(_ id: UUID, to out: inout [UInt8]) { append(id, digits: upper, to: &out) }

    private static func text(_ id: UUID, digits: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            withUnsafeBytes(of: id.uuid) { raw in
                var j = 0
                for i in 0..<16 {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        buffer[j] = UInt8(ascii: "-")
                        j += 1
                    }
                    buffer[j] = digits[Int(raw[i] >> 4)]
                    buffer[j + 1] = digits[Int(raw[i] & 0x0F)]
                    j += 2
                }
            }
            return 36
        }
    }

    private static func append(_ id: UUID, digits: [UInt8], to out: inout [UInt8]) {
        withUnsafeBytes(of: id.uuid) { raw in
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
                out.append(digits[Int(raw[i] >> 4)])
                out.append(digits[Int(raw[i] & 0x0F)])
            }
        }
    }
}
