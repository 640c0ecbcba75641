import Foundation

/// Constants of the FieldSync wire protocol (see `Protocol/WIRE-PROTOCOL.md`).
public enum WireProtocol {
    /// The protocol version this build speaks.
    public static let version = 1
    /// Every version this build can serve; a server refuses others with `unsupported_protocol_version`.
    public static let supportedVersions = [1]
    /// The request header that carries the client's protocol version on every `/v1` request.
    public static let versionHeader = "FieldSync-Protocol"
    /// The request header a device uses to report how many change sets it still holds unsent.
    public static let unsentHeader = "FieldSync-Unsent"
    /// The request header a device uses to report the age in seconds of its oldest unsent change set.
    public static let oldestUnsentHeader = "FieldSync-Oldest-Unsent-Seconds"
    /// The request header naming the client software and version, e.g. `fieldsync-cli/0.1.0`.
    public static let clientHeader = "FieldSync-Client"

    /// Largest request body the server accepts by default (4 MiB).
    public static let defaultMaxBodyBytes = 4 * 1024 * 1024
    /// The largest `deviceSequence` accepted: 2^53 − 1, the largest integer every JSON reader
    /// (JavaScript's included) holds exactly.
    public static let maxDeviceSequence: Int64 = (1 << 53) - 1
    /// How far past the device's last applied sequence a new change set may jump. Devices number
    /// 1, 2, 3 …; a gap this large is a bug, and accepting it would refuse every later change set
    /// of the device as `out_of_order` forever.
    public static let maxSequenceGap: Int64 = 1_000_000
    /// Text and string limits are counted in characters (grapheme clusters) and also in UTF-8
    /// bytes, at this many bytes per allowed character: one character can hold any number of
    /// combining marks, so a character count alone bounds nothing.
    public static let utf8BytesPerCharacter = 4
    /// Health headers: the largest `FieldSync-Unsent` and `FieldSync-Oldest-Unsent-Seconds`
    /// accepted, and the longest `FieldSync-Client` (printable ASCII).
    public static let maxReportedCount = 1_000_000_000
    public static let maxClientNameLength = 100

    /// Most operations one change set may carry.
    public static let maxOperationsPerChangeSet = 500
    /// Largest page a pull may ask for.
    public static let maxPageSize = 5_000
    /// Page size used when a pull names none.
    public static let defaultPageSize = 1_000

    /// The JSON encoder every FieldSync component uses: sorted keys, so equal values give equal bytes.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The JSON decoder every FieldSync component uses. Times are carried as strings (see ``WireTime``).
    public static func makeDecoder() -> JSONDecoder {
        JSONDecoder()
    }
}

/// Instants on the wire: ISO 8601 in UTC with milliseconds, e.g. `2026-11-22T09:30:00.000Z`.
///
/// Kept as strings in the wire types so that every language reads them the same way and no
/// coder's default date strategy (whole seconds in one, a number in another) can creep in.
public enum WireTime {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, rounded to the nearest millisecond. Written by hand from whole
    /// milliseconds: Foundation's formatter truncates the binary fraction, so `.852` came out as
    /// `.851` and an instant did not read back as itself.
    public static func format(_ date: Date) -> String {
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded())
        let day = CalendarDay(daysSinceEpoch: millis.floorDivided(by: 86_400_000))
        let inDay = millis.floorModulo(86_400_000)
        let seconds = inDay / 1000
        return "\(day)T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)).\(CalendarDay.padded(inDay % 1000, width: 3))Z"
    }

    private static func two(_ value: Int) -> String { CalendarDay.padded(value, width: 2) }

    /// The instant `text` names, by the one instant reader every path uses (``InstantText``:
    /// validation, compliance, tokens), so a value a record accepts is one the rules can place.
    public static func parse(_ text: String) -> Date? {
        InstantText.date(text)
    }

    public static func now() -> String { format(Date()) }
}
