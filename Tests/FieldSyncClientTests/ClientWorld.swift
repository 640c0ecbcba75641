import FieldSyncClient
import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

/// One test's world for the client library: a real `fieldsync-server` process on a free loopback
/// port and its own data folder, users made with the real admin CLI, and devices that are the
/// library's own `FieldSyncDevice`, enrolled over HTTP (directly, or through a proxy).
final class ClientWorld: @unchecked Sendable {
    let root: URL
    let server: ServerProcess
    let youngPerson = UUID()
    private var keyWorkerAllocated = false
    var keyDirectory: String { root.appendingPathComponent("keys").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fieldsync-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        server = ServerProcess(dataDirectory: root.appendingPathComponent("server-data").path)
        try server.start()
        try admin(["team", "add", "--name", "north"])
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: root)
    }

    @discardableResult
    func admin(_ arguments: [String]) throws -> CommandOutput {
        let out = try ProcessRunner.run(Binaries.server, ["admin", "--data", server.dataDirectory] + arguments)
        guard out.succeeded else { throw WorldError("admin \(arguments.joined(separator: " ")) failed: \(out.stderr)\(out.stdout)") }
        return out
    }

    /// A device of a new `role` user with the world's young person allocated (key worker first,
    /// co-workers after), enrolled with `server` (a proxy's address), the server itself by default.
    func device(_ user: String, role: String = "PA", server: String? = nil, timeout: Duration = .seconds(30)) async throws
        -> FieldSyncDevice
    {
        try admin(["user", "add", "--name", user, "--role", role, "--team", "north"])
        try admin(["allocate", "--young-person", youngPerson.uuidString, "--user", user, "--role", keyWorkerAllocated ? "co" : "key"])
        keyWorkerAllocated = true
        struct Ticket: Decodable { let code: String }
        let ticket = try JSONDecoder().decode(
            Ticket.self, from: Data(try admin(["device", "enrol", "--user", user, "--json"]).stdout.utf8))
        let store = root.appendingPathComponent("\(user).sqlite").path
        let device = try FieldSyncDevice(
            storePath: store, keyFile: StoreKeyFile(path: keyDirectory + "/\(user).key"), requestTimeout: timeout)
        _ = try await device.enrol(server: server ?? self.server.url, code: ticket.code, deviceName: user)
        return device
    }
}
