import Foundation

/// Thrown by ``JSONByteReader`` at the first byte that is not plain, well-formed JSON of the
/// expected shape. It carries nothing: the caller falls back to `JSONDecoder` for the message.
struct JSONShapeMismatch: Error {}

/// A strict, allocation-light reader over JSON's UTF-8 bytes, for ``ChangeSetFastDecoder`` and
/// ``PullPageFastDecoder``.
///
/// Accepts a subset of RFC 8259 on which `JSONDecoder` gives the same values: integers only
/// (no fraction or exponent, no leading zeros, within `Int64`), strings of valid UTF-8 with no
/// raw control characters and only valid escapes (no lone surrogates), no duplicate object
/// member names, and at most ``maxDepth`` nested arrays and objects. Anything else throws.
///
/// The bytes must stay valid while the reader is used; call ``release()`` when done.
struct JSONByteReader {
    typealias Failure = JSONShapeMismatch

    /// Deepest nesting of arrays and objects accepted (`JSONDecoder` allows 512).
    static let maxDepth = 64

    let bytes: UnsafePointer<UInt8>
    let end: Int
    /// The next byte to read.
    var index = 0
    /// Arrays and objects open at `index`.
    var depth = 0
    /// Where strings with escapes are unescaped; allocated at the first escape, `end` bytes long
    /// (an unescaped string is never longer than its JSON text).
    private var scratch: UnsafeMutablePointer<UInt8>?
    /// Members of the objects being read, innermost last, so each dictionary is made at its size.
    private var pendingMembers: [(String, JSONValue)] = []

    /// Nil for an empty buffer.
    init?(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
        bytes = base.assumingMemoryBound(to: UInt8.self)
        end = buffer.count
        pendingMembers.reserveCapacity(32)
    }

    mutating func release() {
        scratch?.deallocate()
        scratch = nil
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed.
    @inline(__always)
    mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard index < end else { throw Failure() }
        return bytes[index]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try peek() == byte else { throw Failure() }
        index += 1
    }

    /// Only whitespace is left.
    mutating func expectEnd() throws(Failure) {
        skipWhitespace()
        guard index == end else { throw Failure() }
    }

    /// Consumes `[` or `{` and counts the depth.
    mutating func open(_ bracket: UInt8) throws(Failure) {
        try expect(bracket)
        depth += 1
        guard depth <= Self.maxDepth else { throw Failure() }
    }

    /// Moves to the next member of an object opened with `open(0x7B)`: true if there is one
    /// (its name comes next), false when the closing `}` has been consumed.
    mutating func nextMember(_ first: inout Bool) throws(Failure) -> Bool {
        try next(close: UInt8(ascii: "}"), &first)
    }

    /// Moves to the next element of an array opened with `open(0x5B)`, as ``nextMember(_:)``.
    mutating func nextElement(_ first: inout Bool) throws(Failure) -> Bool {
        try next(close: UInt8(ascii: "]"), &first)
    }

    @inline(__always)
    private mutating func next(close: UInt8, _ first: inout Bool) throws(Failure) -> Bool {
        let byte = try peek()
        if byte == close {
            index += 1
            depth -= 1
            return false
        }
        if first {
            first = false
        } else {
            guard byte == UInt8(ascii: ",") else { throw Failure() }
            index += 1
        }
        return true
    }

    /// A member name with no escapes (as the fixed names of a wire type are sent), and its `:`.
    mutating func plainMemberName() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        let name = try plainString()
        try expect(UInt8(ascii: ":"))
        return name
    }

    /// Consumes `null` if it comes next.
    mutating func skipNull() throws(Failure) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal(0x6E, 0x75, 0x6C, 0x6C)
        return true
    }

    /// `true` or `false`.
    mutating func bool() throws(Failure) -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal(0x74, 0x72, 0x75, 0x65)
            return true
        case UInt8(ascii: "f"):
            index += 1
            try literal(0x61, 0x6C, 0x73, 0x65)
            return false
        default:
            throw Failure()
        }
    }

    @inline(__always)
    private mutating func literal(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) throws(Failure) {
        guard index + 4 <= end, bytes[index] == a, bytes[index + 1] == b, bytes[index + 2] == c, bytes[index + 3] == d
        else { throw Failure() }
        index += 4
    }

    // MARK: Scalars

    /// A JSON integer within `Int64`: `-?(0|[1-9][0-9]*)`, with no fraction or exponent after it.
    mutating func int64() throws(Failure) -> Int64 {
        skipWhitespace()
        var j = index
        guard j < end else { throw Failure() }
        let negative = bytes[j] == UInt8(ascii: "-")
        if negative {
            j += 1
            guard j < end else { throw Failure() }
        }
        let leading = bytes[j] &- 0x30
        guard leading < 10 else { throw Failure() }
        var magnitude = UInt64(leading)
        j += 1
        if leading == 0 {
            if j < end, bytes[j] &- 0x30 < 10 { throw Failure() }
        } else {
            while j < end {
                let digit = bytes[j] &- 0x30
                guard digit < 10 else { break }
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
                guard !o1, !o2 else { throw Failure() }
                magnitude = sum
                j += 1
            }
        }
        if j < end {
            switch bytes[j] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw Failure()
            default: break
            }
        }
        index = j
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Failure() }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Failure() }
        return Int64(magnitude)
    }

    /// The bytes of a string with no escapes (not yet checked to be UTF-8), quotes consumed.
    mutating func plainString() throws(Failure) -> UnsafeBufferPointer<UInt8> {
        try expect(UInt8(ascii: "\""))
        let start = index
        var highBits: UInt64 = 0
        let stop = scanPlain(from: start, highBits: &highBits)
        guard stop < end, bytes[stop] == UInt8(ascii: "\"") else { throw Failure() }
        index = stop + 1
        return UnsafeBufferPointer(start: bytes + start, count: stop - start)
    }

    /// A UUID in its 36-character 8-4-4-4-12 form, hex digits in either case.
    mutating func uuid() throws(Failure) -> UUID {
        let text = try plainString()
        guard text.count == 36, text[8] == 0x2D, text[13] == 0x2D, text[18] == 0x2D, text[23] == 0x2D else {
            throw Failure()
        }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var invalid: UInt8 = 0
        withUnsafeMutableBytes(of: &value) { out in
            var j = 0
            for k in 0..<16 {
                if j == 8 || j == 13 || j == 18 || j == 23 { j += 1 }
                let high = Self.hexDigit(text[j])
                let low = Self.hexDigit(text[j + 1])
                invalid |= (high | low) & 0xF0
                out[k] = high << 4 | low
                j += 2
            }
        }
        guard invalid == 0 else { throw Failure() }
        return UUID(uuid: value)
    }

    /// 0–15, or 0xFF for a byte that is not a hex digit.
    @inline(__always)
    static func hexDigit(_ byte: UInt8) -> UInt8 {
        let digit = byte &- 0x30
        if digit < 10 { return digit }
        let letter = (byte | 0x20) &- 0x61
        return letter < 6 ? letter + 10 : 0xFF
    }

    // MARK: Strings

    /// A string: valid UTF-8, no raw control characters, valid escapes only.
    mutating func string() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var highBits: UInt64 = 0
        let stop = scanPlain(from: start, highBits: &highBits)
        guard stop < end else { throw Failure() }
        if bytes[stop] == UInt8(ascii: "\"") {
            index = stop + 1
            return try Self.makeString(UnsafeBufferPointer(start: bytes + start, count: stop - start), highBits: highBits)
        }
        return try escapedString(start: start, firstSpecial: stop, highBits: highBits)
    }

    /// The index of the first `"`, `\` or control character at or after `start`, or `end`; ORs
    /// the bytes before it into `highBits` (whose 0x80 bits then say whether any is not ASCII).
    /// Eight bytes at a time while none of them is one.
    @inline(__always)
    func scanPlain(from start: Int, highBits: inout UInt64) -> Int {
        var j = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        while j + 8 <= end {
            let word = UnsafeRawPointer(bytes + j).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            // A byte of x is zero (or, with n·ones, below n) iff this sets its high bit in some byte.
            let special =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
            if special & Self.highs != 0 { break }
            highBits |= word
            j += 8
        }
        while j < end {
            let byte = bytes[j]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return j }
            highBits |= UInt64(byte)
            j += 1
        }
        return end
    }

    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The string of these bytes, or a throw if they are not UTF-8. ASCII (most strings) skips
    /// `String(validating:as:)`, which is not specialised: it looks up generic metadata on every call.
    @inline(__always)
    static func makeString(_ utf8: UnsafeBufferPointer<UInt8>, highBits: UInt64) throws(Failure) -> String {
        if highBits & highs == 0 { return String(decoding: utf8, as: UTF8.self) }
        guard let string = String(validating: utf8, as: UTF8.self) else { throw Failure() }
        return string
    }

    /// The rest of a string from its first escape or control character, unescaped into `scratch`.
    private mutating func escapedString(start: Int, firstSpecial: Int, highBits: UInt64) throws(Failure) -> String {
        let out: UnsafeMutablePointer<UInt8>
        if let scratch {
            out = scratch
        } else {
            out = .allocate(capacity: end)
            scratch = out
        }
        var count = firstSpecial - start
        out.update(from: bytes + start, count: count)
        var j = firstSpecial
        var highBits = highBits  // of the raw bytes only: what escapes write is well-formed
        while true {
            guard j < end else { throw Failure() }
            let byte = bytes[j]
            if byte == UInt8(ascii: "\"") {
                index = j + 1
                return try Self.makeString(UnsafeBufferPointer(start: out, count: count), highBits: highBits)
            }
            if byte == UInt8(ascii: "\\") {
                guard j + 1 < end else { throw Failure() }
                let escape = bytes[j + 1]
                if escape == UInt8(ascii: "u") {
                    j = try unicodeEscape(at: j, into: out, count: &count)
                } else {
                    let unescaped = Self.unescape(escape)
                    guard unescaped != 0xFF else { throw Failure() }
                    out[count] = unescaped
                    count += 1
                    j += 2
                }
                continue
            }
            guard byte >= 0x20 else { throw Failure() }
            let stop = scanPlain(from: j, highBits: &highBits)
            out.advanced(by: count).update(from: bytes + j, count: stop - j)
            count += stop - j
            j = stop
        }
    }

    /// The byte a one-character escape stands for, or 0xFF.
    @inline(__always)
    static func unescape(_ escape: UInt8) -> UInt8 {
        switch escape {
        case UInt8(ascii: "\""): 0x22
        case UInt8(ascii: "\\"): 0x5C
        case UInt8(ascii: "/"): 0x2F
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: 0xFF
        }
    }

    /// Reads `\uXXXX` (and the low half of a surrogate pair) at `j`, writes its UTF-8 and returns
    /// the index after it.
    private func unicodeEscape(at j: Int, into out: UnsafeMutablePointer<UInt8>, count: inout Int) throws(Failure) -> Int {
        var scalar = try hex4(at: j + 2)
        var after = j + 6
        if scalar & 0xFC00 == 0xD800 {
            guard after + 6 <= end, bytes[after] == UInt8(ascii: "\\"), bytes[after + 1] == UInt8(ascii: "u") else {
                throw Failure()
            }
            let low = try hex4(at: after + 2)
            guard low & 0xFC00 == 0xDC00 else { throw Failure() }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            after += 6
        } else if scalar & 0xFC00 == 0xDC00 {
            throw Failure()
        }
        switch scalar {
        case 0..<0x80:
            out[count] = UInt8(scalar)
            count += 1
        case 0x80..<0x800:
            out[count] = UInt8(0xC0 | scalar >> 6)
            out[count + 1] = UInt8(0x80 | scalar & 0x3F)
            count += 2
        case 0x800..<0x10000:
            out[count] = UInt8(0xE0 | scalar >> 12)
            out[count + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[count + 2] = UInt8(0x80 | scalar & 0x3F)
            count += 3
        default:
            out[count] = UInt8(0xF0 | scalar >> 18)
            out[count + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            out[count + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            out[count + 3] = UInt8(0x80 | scalar & 0x3F)
            count += 4
        }
        return after
    }

    private func hex4(at j: Int) throws(Failure) -> UInt32 {
        guard j + 4 <= end else { throw Failure() }
        let a = Self.hexDigit(bytes[j])
        let b = Self.hexDigit(bytes[j + 1])
        let c = Self.hexDigit(bytes[j + 2])
        let d = Self.hexDigit(bytes[j + 3])
        guard (a | b | c | d) & 0xF0 == 0 else { throw Failure() }
        return UInt32(a) << 12 | UInt32(b) << 8 | UInt32(c) << 4 | UInt32(d)
    }

    // MARK: JSONValue

    /// Any value, as `JSONValue.init(from:)` reads it through `JSONDecoder` (integers only).
    mutating func value() throws(Failure) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"): return .object(try valueObject())
        case UInt8(ascii: "["):
            try open(UInt8(ascii: "["))
            var items: [JSONValue] = []
            var first = true
            while try nextElement(&first) { items.append(try value()) }
            return .array(items)
        case UInt8(ascii: "t"):
            try literal(0x74, 0x72, 0x75, 0x65)
            return .bool(true)
        case UInt8(ascii: "f"):
            index += 1
            try literal(0x61, 0x6C, 0x73, 0x65)
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal(0x6E, 0x75, 0x6C, 0x6C)
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .integer(try int64())
        default:
            throw Failure()
        }
    }

    /// An object of values; a name repeated (by Swift's `String` equality) throws.
    mutating func valueObject() throws(Failure) -> [String: JSONValue] {
        try open(UInt8(ascii: "{"))
        let start = pendingMembers.count
        var first = true
        while try nextMember(&first) {
            let name = try string()
            try expect(UInt8(ascii: ":"))
            let member = try value()
            pendingMembers.append((name, member))
        }
        var members = [String: JSONValue](minimumCapacity: pendingMembers.count - start)
        for (name, member) in pendingMembers[start...] {
            guard members.updateValue(member, forKey: name) == nil else { throw Failure() }
        }
        pendingMembers.removeSubrange(start...)
        return members
    }
}
