import Foundation

/// Reads one record document (a `RecordSnapshot`, as the server stores it and a device keeps it)
/// with the page reader's record reader. Same contract: nil for anything but the plain shape,
/// and then `JSONDecoder` reads it or says why not.
package enum RecordSnapshotFastDecoder {
    package static func decode(_ data: Data) -> RecordSnapshot? {
        data.withUnsafeBytes { bytes in
            guard var reader = JSONByteReader(bytes) else { return nil }
            defer { reader.release() }
            do {
                var fieldCount = 0
                let record = try reader.recordSnapshot(fieldCount: &fieldCount)
                try reader.expectEnd()
                return record
            } catch {
                return nil
            }
        }
    }
}
