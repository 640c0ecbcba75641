import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `fieldsync-server admin --data DIR …` commands, the way an operator sets up users and devices.
struct AdminCLI: Sendable {
    let binary: String
    let dataDirectory: String
    let scratchDirectory: String

    private struct Ticket: Decodable { let code: String }

    /// Adds the team the bench's users belong to (`user add` refuses a team not added first).
    func addTeam(name: String = "Bench") throws {
        _ = try run(["team", "add", "--name", name])
    }

    func addUser(name: String, role: String = "PA", team: String = "Bench") throws {
        _ = try run(["user", "add", "--name", name, "--role", role, "--team", team])
    }

    /// Makes a device slot for `user` and returns its one-time enrolment code.
    func enrolDevice(user: String, deviceName: String) throws -> String {
        let output = try run(["device", "enrol", "--user", user, "--name", deviceName, "--json"])
        do {
            return try JSONDecoder().decode(Ticket.self, from: Data(output.utf8)).code
        } catch {
            throw BenchError("device enrol --json printed no code: \(output)")
        }
    }

    /// Allocates a young person to a user as key worker (or, with `role: "co"`, co-worker).
    func allocate(youngPerson: UUID, user: String, role: String = "key") throws {
        _ = try run(["allocate", "--young-person", youngPerson.uuidString, "--user", user, "--role", role])
    }

    /// Whether this server's admin CLI has allocations (servers that scope access by young person).
    func supportsAllocations() throws -> Bool {
        let help = try run(["--help"])
        return help.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("allocate") }
    }

    /// Runs one admin command with a time limit; its output goes through files.
    private func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> String {
        let stem = URL(fileURLWithPath: scratchDirectory).appendingPathComponent("admin-\(UUID().uuidString)")
        let outURL = stem.appendingPathExtension("out")
        let errURL = stem.appendingPathExtension("err")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
            FileManager.default.createFile(atPath: errURL.path, contents: nil)
        else { throw BenchError("Cannot create output files in \(scratchDirectory).") }
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["admin", "--data", dataDirectory] + arguments
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw BenchError("Cannot run \(binary) admin: \(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw BenchError("admin \(arguments.joined(separator: " ")) took more than \(Int(timeout)) s")
        }
        process.waitUntilExit()
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw BenchError("admin \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(out)\(err)")
        }
        return out
    }
}
