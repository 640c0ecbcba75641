import Foundation
import Testing

@testable import FieldSyncClient

/// The export's answer waits in a ``SealedSpool``: on the disk only as ciphertext under a key
/// in memory, read back line by line, and refused if altered.
@Suite("The sealed spool an export waits in")
struct SealedSpoolTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("Lines split across chunks come back whole; the file holds none of them in plaintext and is private")
    func roundTripWithoutPlaintext() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try SealedSpool(in: folder)
        let text = "{\"type\":\"record\",\"childViews\":\"Worried about money for food\"}\n{\"type\":\"end\"}\n"
        // Chunks that cut lines anywhere, as a network does.
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: 7) {
            #expect(spool.append(Data(bytes[start..<min(start + 7, bytes.count)])))
        }
        let onDisk = try #require(FileManager.default.contents(atPath: spool.path))
        #expect(!String(decoding: onDisk, as: UTF8.self).contains("Worried") && !onDisk.isEmpty)
        let mode = (try FileManager.default.attributesOfItem(atPath: spool.path)[.posixPermissions] as? Int).map { $0 & 0o777 }
        #expect(mode == 0o600)
        for _ in 0..<2 {  // read twice, as the export does
            var lines = spool.lines()
            var read: [String] = []
            for _ in 0..<10 {
                guard let line = lines.next() else { break }
                read.append(String(decoding: line, as: UTF8.self))
            }
            #expect(read == ["{\"type\":\"record\",\"childViews\":\"Worried about money for food\"}", "{\"type\":\"end\"}"])
        }
        #expect(spool.failure == nil)
    }

    @Test("An altered spool is refused, not read; the file goes with the spool")
    func alteredIsRefused() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var path = ""
        do {
            let spool = try SealedSpool(in: folder)
            path = spool.path
            spool.append(Data("first line\nsecond line\n".utf8))
            var bytes = try #require(FileManager.default.contents(atPath: path))
            bytes[bytes.count - 1] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            var lines = spool.lines()
            #expect(lines.next() == nil)
            #expect(spool.failure?.code == "store_value_invalid")
        }
        #expect(!FileManager.default.fileExists(atPath: path), "removed when the spool is released")
    }
}
