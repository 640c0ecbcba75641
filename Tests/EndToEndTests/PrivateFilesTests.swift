import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, finding 10: the server's data folder is 0700 and every file in it 0600, and a store
/// made with looser modes is tightened when it is opened.
@Suite("Private server files")
struct PrivateFilesTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1) & 0o777
    }

    static func expectPrivate(_ folder: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        #expect(mode(folder) == 0o700, "folder \(String(mode(folder), radix: 8))", sourceLocation: sourceLocation)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in files {
            let path = (folder as NSString).appendingPathComponent(name)
            #expect(mode(path) == 0o600, "\(name) is \(String(mode(path), radix: 8))", sourceLocation: sourceLocation)
        }
        return files
    }

    @Test("A new store is 0700/0600; an old 0755/0644 store is tightened on start, and the server says so")
    func dataFolderIsPrivate() throws {
        let world = try TestWorld()
        let alice = try world.device("alice")
        _ = try alice.newVisit()
        try alice.sync()
        let folder = world.server.dataDirectory
        let files = try Self.expectPrivate(folder)
        #expect(files.contains("fieldsync.sqlite"))
        #expect(files.contains("fieldsync.sqlite-wal"))

        world.server.stop()
        chmod(folder, 0o755)
        for name in files { chmod((folder as NSString).appendingPathComponent(name), 0o644) }
        #expect(Self.mode((folder as NSString).appendingPathComponent("fieldsync.sqlite")) == 0o644)
        try world.server.start()
        _ = try Self.expectPrivate(folder)
        #expect(world.server.log.contains("made a data file private"), "\(world.server.log)")
        try alice.sync()
    }
}
