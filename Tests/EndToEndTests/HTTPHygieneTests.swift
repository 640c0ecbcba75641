import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

/// Issue 9, findings 9, 12 (timeouts) and 15 (framing): every client reads the server's answer,
/// and no connection can be held open by saying too little or promising too much.
@Suite("HTTP hygiene: early refusals are read, framing errors are 4xx, slow and idle sockets are closed")
struct HTTPHygieneTests {
    static func post(_ path: String, token: String?, headers: [String] = [], close: Bool = true) -> String {
        var lines = ["POST \(path) HTTP/1.1", "Host: 127.0.0.1", "FieldSync-Protocol: 1", "Content-Type: application/json"]
        if let token { lines.append("Authorization: Bearer \(token)") }
        if close { lines.append("Connection: close") }
        return (lines + headers).joined(separator: "\r\n") + "\r\n\r\n"
    }

    @Test("A declared Content-Length over the limit (10^12) is answered 413 at once, and the connection ends")
    func declaredLengthOverLimit() async throws {
        let world = try TestWorld(serverArguments: ["--max-body-bytes", "65536"])
        let wire = try await WireClient.enrolled(world, user: "alice")
        let connection = try RawHTTP(port: world.server.port)
        connection.sendAll(
            Self.post("/v1/changesets", token: wire.token, headers: ["Content-Length: 1000000000000"], close: false) + "{\"id\":")
        let answer = try #require(connection.readResponse(), "the 413 arrives without the body being sent")
        #expect(answer.status == 413)
        #expect(answer.errorCode == "body_too_large")
        #expect(answer.text.contains("65536"), "says the limit: \(answer.text)")
        #expect(answer.header("Connection")?.lowercased() == "close")
        #expect(connection.waitForClose(), "the server ends the connection (after a bounded drain)")
        #expect(try await wire.send("GET", "/healthz").status == 200)
        #expect(try await wire.pullAll().isEmpty)
    }

    @Test("A client that writes its whole body before reading (Python urllib, Connection: close) reads the 413")
    func urllibReadsTheRefusal() async throws {
        let world = try TestWorld(serverArguments: ["--max-body-bytes", "65536"])
        let wire = try await WireClient.enrolled(world, user: "alice")
        // 12 MB: more than the kernel's socket buffers hold, so a server that stops reading stalls the writer.
        let script = """
            import json, urllib.request, urllib.error
            req = urllib.request.Request("\(world.server.url)/v1/changesets", data=b"x" * 12000000,
                headers={"FieldSync-Protocol": "1", "Content-Type": "application/json", "Authorization": "Bearer \(wire.token ?? "")"})
            try:
                r = urllib.request.urlopen(req, timeout=30)
                print(json.dumps({"status": r.status, "body": r.read().decode()}))
            except urllib.error.HTTPError as e:
                print(json.dumps({"status": e.code, "body": e.read().decode()}))
            """
        let out = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script], timeout: 60)
        #expect(out.succeeded, "\(out.stderr)")
        struct Result: Decodable {
            let status: Int
            let body: String
        }
        let result = try JSONDecoder().decode(Result.self, from: Data(out.stdout.utf8))
        #expect(result.status == 413, "\(result.body)")
        #expect(result.body.contains("body_too_large"))
    }

    @Test("A chunked body that grows past the limit, or an early 401, is answered to a client that writes everything first")
    func streamedBodyOverLimit() async throws {
        let world = try TestWorld(serverArguments: ["--max-body-bytes", "65536"])
        let wire = try await WireClient.enrolled(world, user: "alice")
        let chunk = String(repeating: "x", count: 16_384)
        // 12 MiB: more than the kernel's socket buffers hold, so a server that stops reading stalls the writer.
        let body = String(repeating: "\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n", count: 768) + "0\r\n\r\n"
        for token in [wire.token, "forged"] {
            let connection = try RawHTTP(port: world.server.port)
            let head = Self.post("/v1/changesets", token: token, headers: ["Transfer-Encoding: chunked"])
            #expect(connection.sendAll(head + body), "the server drains the body rather than stalling the writer")
            let answer = try #require(connection.readResponse())
            #expect(answer.status == (token == wire.token ? 413 : 401), "\(answer.text)")
            #expect(answer.errorCode == (token == wire.token ? "body_too_large" : "unauthenticated"))
            #expect(answer.header("Connection")?.lowercased() == "close")
            #expect(connection.waitForClose())
        }
        #expect(try await wire.pullAll().isEmpty)
    }

    @Test("A chunk size that overflows, or a request line that is not HTTP, is 400 malformed_request, never 500")
    func malformedFraming() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let overflow = try RawHTTP(port: world.server.port)
        overflow.sendAll(
            Self.post("/v1/changesets", token: wire.token, headers: ["Transfer-Encoding: chunked"]) + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n")
        let answer = try #require(overflow.readResponse())
        #expect(answer.status == 400, "\(answer.text)")
        #expect(answer.errorCode == "malformed_request")
        #expect(overflow.waitForClose())

        let garbage = try RawHTTP(port: world.server.port)
        garbage.sendAll("NOT HTTP AT ALL\r\n\r\n")
        let refused = try #require(garbage.readResponse())
        #expect(refused.status == 400)
        #expect(refused.errorCode == "malformed_request")
        #expect(refused.text.contains("nothing was changed"))
        #expect(try await wire.pullAll().isEmpty)
        #expect(try await wire.send("GET", "/healthz").status == 200)
    }

    @Test("Slowloris sockets get 408 after the header-read timeout; idle sockets are closed after the idle timeout")
    func slowAndIdleSockets() async throws {
        let world = try TestWorld(serverArguments: ["--header-read-timeout-seconds", "1", "--idle-timeout-seconds", "3"])
        let port = world.server.port
        let idle = try (0..<20).map { _ in try RawHTTP(port: port) }
        let slow = try (0..<20).map { _ in try RawHTTP(port: port) }
        for connection in slow { connection.sendAll("POST /v1/enrol HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") }
        var answers: [RawHTTP.Response?] = Array(repeating: nil, count: slow.count)
        var ended = Array(repeating: false, count: slow.count)
        // One header byte per socket every 100 ms: each keeps "sending", none finishes its headers.
        for _ in 0..<200 where ended.contains(false) {
            usleep(100_000)
            for (n, connection) in slow.enumerated() where !ended[n] {
                if connection.hasEnded() {
                    answers[n] = connection.readResponse()
                    ended[n] = true
                } else {
                    connection.sendAll("a")
                }
            }
        }
        for answer in answers {
            #expect(answer?.status == 408)
            #expect(answer?.errorCode == "request_timeout")
        }
        for connection in idle {
            #expect(connection.waitForClose(), "an idle socket is closed by the server")
        }
        #expect(try await WireClient(server: world.server.url).send("GET", "/healthz").status == 200)
    }
}
