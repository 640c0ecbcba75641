import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 12: what an operator meets: `--version`, health and readiness, the access log, the
/// request id, metrics and gzipped pulls, all through the real executables.
@Suite("Operating the server: version, health, access log, request ids, metrics, gzip")
struct ObservabilityTests {
    @Test("Both executables print the one version constant with --version")
    func versionFlags() throws {
        for binary in [Binaries.server, Binaries.client] {
            let out = try ProcessRunner.run(binary, ["--version"])
            #expect(out.succeeded, "\(binary): \(out.stderr)")
            #expect(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == FieldSyncVersion.current)
        }
    }

    @Test("/healthz and /readyz answer JSON with the version; the request id is returned, a client's well-formed one kept")
    func healthAndReadiness() throws {
        let world = try TestWorld()
        let health = try Self.raw(world.server.port, "GET /healthz")
        #expect(health.status == 200)
        let healthBody = try JSONSerialization.jsonObject(with: health.body) as? [String: Any]
        #expect(healthBody?["status"] as? String == "ok")
        #expect(healthBody?["version"] as? String == FieldSyncVersion.current)
        #expect(healthBody?["protocolVersions"] as? [Int] == WireProtocol.supportedVersions)

        let ready = try Self.raw(world.server.port, "GET /readyz", headers: ["X-Request-Id: probe-42.a:b_c"])
        #expect(ready.status == 200, "\(ready.text)")
        let readyBody = try JSONSerialization.jsonObject(with: ready.body) as? [String: Any]
        #expect(readyBody?["status"] as? String == "ready")
        #expect(readyBody?["version"] as? String == FieldSyncVersion.current)
        #expect(readyBody?["checks"] as? [String: String] == ["store": "ok", "migrations": "ok", "shutdown": "no"])
        #expect(ready.header("X-Request-Id") == "probe-42.a:b_c", "a well-formed incoming id is kept")

        let made = try Self.raw(world.server.port, "GET /healthz", headers: ["X-Request-Id: has spaces and {braces}"])
        let id = try #require(made.header("X-Request-Id"))
        #expect(id != "has spaces and {braces}" && id.count >= 16, "a malformed id is replaced: \(id)")
        #expect(try Self.raw(world.server.port, "GET /healthz").header("X-Request-Id") != id, "each request its own id")
    }

    @Test("The JSON access log has one parseable line per request, with route patterns and the device, and no secret")
    func accessLog() async throws {
        let world = try TestWorld(serverArguments: ["--log-format", "json"])
        try world.addUser("alice")
        try world.allocate(world.youngPerson, to: "alice")
        let code = try world.enrolmentCode(for: "alice")
        let secretText = "Visited-\(UUID().uuidString)-kitchen-table"
        let record = UUID()
        var requests = 0

        let anonymous = WireClient(server: world.server.url)
        let enrolment = try await anonymous.send(
            "POST", "/v1/enrol", body: try JSONEncoder().encode(EnrolmentRequest(code: code, deviceName: "wire")))
        requests += 1
        #expect(enrolment.status == 200)
        var wire = anonymous
        wire.token = try JSONDecoder().decode(EnrolmentResponse.self, from: enrolment.body).token
        let token = try #require(wire.token)

        let push = try await wire.push(
            ChangeSet(
                deviceSequence: 1,
                operations: [
                    .create(record, kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": .string(secretText)])
                ]))
        requests += 1
        #expect(push.status == 200, "\(push.text)")
        #expect(try await wire.pullAll().map(\.id) == [record])
        requests += 1
        #expect(try await wire.send("GET", "/v1/records/\(record.uuidString)/history").status == 200)
        requests += 1
        #expect(try await wire.send("GET", "/no/such/path").status == 404)
        requests += 1
        var stranger = wire
        stranger.token = "not-a-token-\(UUID().uuidString)"
        #expect(try await stranger.send("GET", "/v1/changes").status == 401)
        requests += 1

        let lines = Self.accessLines(world.server.log)
        #expect(lines.count == requests, "one line per request: \(lines)")
        #expect(
            lines.map { $0["route"] as? String } == [
                "/v1/enrol", "/v1/changesets", "/v1/changes", "/v1/records/{id}/history", "unmatched", "/v1/changes",
            ])
        #expect(lines.map { $0["status"] as? Int } == [200, 200, 200, 200, 404, 401])
        #expect(lines.map { $0["method"] as? String } == ["POST", "POST", "GET", "GET", "GET", "GET"])
        let device = try #require(lines[1]["device_id"] as? String)
        #expect(lines[1...3].allSatisfy { $0["device_id"] as? String == device }, "authenticated requests name the device")
        #expect(lines[0]["device_id"] == nil && lines[5]["device_id"] == nil, "no device without a good token")
        #expect(lines.allSatisfy { ($0["request_id"] as? String)?.isEmpty == false && $0["duration_ms"] is Double })
        #expect((lines[1]["bytes_in"] as? Int ?? 0) > 100, "the pushed body's size")
        #expect((lines[2]["bytes_out"] as? Int ?? 0) > 100, "the page's size")
        let log = world.server.log
        for secret in [token, code, secretText, record.uuidString, record.uuidString.lowercased(), "Bearer"] {
            #expect(!log.contains(secret), "the log holds no \(secret)")
        }
    }

    @Test("A streamed answer (the export) is logged once its last byte is written, with the bytes counted")
    func accessLogOfStreamedExport() async throws {
        let world = try TestWorld(serverArguments: ["--log-format", "json"])
        let wire = try await WireClient.enrolled(world, user: "alice")
        let export = try await wire.send("GET", "/v1/export")
        #expect(export.status == 200)
        var line: [String: Any]?
        for _ in 0..<250 where line == nil {  // the line follows the last byte by moments
            line = Self.accessLines(world.server.log).first { $0["route"] as? String == "/v1/export" }
            if line == nil { usleep(20_000) }
        }
        let logged = try #require(line, "an access line for the export")
        #expect(logged["status"] as? Int == 200)
        #expect(logged["bytes_out"] as? Int == export.body.count)
        #expect(logged["incomplete"] == nil)
    }

    @Test("With --access-log off the server writes no request lines")
    func accessLogOff() async throws {
        let world = try TestWorld(serverArguments: ["--log-format", "json", "--access-log", "off"])
        #expect(try await WireClient(server: world.server.url).send("GET", "/healthz").status == 200)
        #expect(Self.accessLines(world.server.log).isEmpty)
    }

    @Test("/metrics on its own loopback listener: the counters move with a device's push and pull, and pulls go gzipped")
    func metricsMoveWithPush() async throws {
        let world = try TestWorld(serverArguments: ["--metrics-port", "0"])
        let metricsURL = try Self.metricsURL(world.server)
        let device = try world.device("alice")
        let before = try await Self.scrape(metricsURL)
        for n in 0..<5 {
            _ = try device.newVisit(["purpose=Visit number \(n) to talk about school, contact and what comes next"])
        }
        let report = try device.sync()
        #expect(report.sent == 5 && report.applied == 5, "one change set per new record: \(report)")
        let other = try world.device("bob")
        #expect(try other.sync().received == 5, "the second device pulls the five, gzipped, through the client library")
        let after = try await Self.scrape(metricsURL)

        func moved(_ series: String) -> Double { (after[series] ?? 0) - (before[series] ?? 0) }
        #expect(moved(#"fieldsync_changesets_total{outcome="accepted"}"#) == 5)
        #expect(moved(#"fieldsync_operations_total{outcome="applied"}"#) == 5)
        // The five went in one batch (one request); each is still counted as a change set above.
        #expect(moved(#"fieldsync_http_requests_total{method="POST",route="/v1/changesets/batch",status="200"}"#) == 1, "\(after)")
        #expect(moved(#"fieldsync_http_request_duration_seconds_count{method="POST",route="/v1/changesets/batch"}"#) == 1)
        #expect(moved("fieldsync_commit_group_changesets_count") >= 1)
        #expect(moved("fieldsync_commit_duration_seconds_count") >= 1)
        #expect(moved("fieldsync_feed_head") >= 5)
        #expect(moved(#"fieldsync_pulls_total{encoding="gzip"}"#) >= 1, "the client library asks for gzip: \(after)")
        #expect(moved("fieldsync_pull_records_sum") >= 5)
        #expect((after[#"fieldsync_devices{last_contact="1h"}"#] ?? 0) >= 1, "alice pushed a moment ago")
        #expect(after["fieldsync_wal_bytes"] != nil)
    }

    @Test("A pull page is gzipped when asked (Accept-Encoding: gzip) and inflates to the same JSON; sent plain otherwise")
    func gzipPull() async throws {
        let world = try TestWorld()
        let wire = try await WireClient.enrolled(world, user: "alice")
        let operations = (0..<20).map { n in
            ChangeOperation.create(
                UUID(), kind: .visit, youngPerson: world.youngPerson, fields: ["purpose": .string("Visit \(n) about school and contact")])
        }
        #expect(try await wire.push(ChangeSet(deviceSequence: 1, operations: operations)).status == 200)
        let token = try #require(wire.token)
        let request = "GET /v1/changes?limit=1000"
        let auth = ["FieldSync-Protocol: 1", "Authorization: Bearer \(token)"]
        let plain = try Self.raw(world.server.port, request, headers: auth)
        let gzipped = try Self.raw(world.server.port, request, headers: auth + ["Accept-Encoding: br, gzip;q=0.8"])
        let refused = try Self.raw(world.server.port, request, headers: auth + ["Accept-Encoding: gzip;q=0, identity"])
        #expect(plain.status == 200 && gzipped.status == 200 && refused.status == 200)
        #expect(plain.header("Content-Encoding") == nil && refused.header("Content-Encoding") == nil)
        #expect(gzipped.header("Content-Encoding") == "gzip")
        #expect(gzipped.header("Vary") == "Accept-Encoding")
        #expect(gzipped.body.count * 3 < plain.body.count, "\(gzipped.body.count) gzipped for \(plain.body.count)")
        let inflated = try Self.gunzip(gzipped.body, in: world.root)
        let pages = try [plain.body, inflated].map { try JSONDecoder().decode(PullPage.self, from: $0) }
        #expect(pages[0].records.map(\.id) == operations.map(\.record))
        #expect(pages[1].records == pages[0].records)
    }

    @Test("The server serves its OpenAPI description, the same as Protocol/openapi.yaml (scripts/embed-openapi.sh)")
    func servesOpenAPI() throws {
        let world = try TestWorld()
        let served = try Self.raw(world.server.port, "GET /openapi.yaml")
        #expect(served.status == 200)
        #expect(served.header("Content-Type")?.hasPrefix("application/yaml") == true)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/openapi.yaml")
        #expect(served.text == (try String(contentsOf: file, encoding: .utf8)), "run scripts/embed-openapi.sh after editing the YAML")
        #expect(served.text.contains("version: \(FieldSyncVersion.current)"), "info.version is the release")
    }

    // MARK: Helpers

    /// One request on its own connection, by hand (so no client library inflates or adds headers).
    static func raw(_ port: Int, _ requestLine: String, headers: [String] = []) throws -> RawHTTP.Response {
        let connection = try RawHTTP(port: port)
        let head = ([requestLine + " HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers).joined(separator: "\r\n") + "\r\n\r\n"
        guard connection.sendAll(head), let response = connection.readResponse() else { throw WorldError("no answer to \(requestLine)") }
        return response
    }

    /// The access log's lines, parsed (the server's other lines are left out).
    static func accessLines(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["logger"] as? String == "fieldsync-server.access"
            else { return nil }
            return object
        }
    }

    /// The metrics address the server printed once its metrics listener was up.
    static func metricsURL(_ server: ServerProcess) throws -> URL {
        for _ in 0..<500 {
            if let range = server.log.range(of: #"metrics on http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression) {
                return URL(string: String(server.log[range].dropFirst("metrics on ".count)))!
            }
            usleep(20_000)
        }
        throw WorldError("the server printed no metrics address: \(server.log)")
    }

    /// Every sample of a scrape, by its series (name and labels as printed).
    static func scrape(_ url: URL) async throws -> [String: Double] {
        let (data, response) = try await URLSession.shared.data(from: url)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw WorldError("scrape failed: \(response)") }
        var samples: [String: Double] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static func gunzip(_ data: Data, in folder: URL) throws -> Data {
        let file = folder.appendingPathComponent("page-\(UUID().uuidString).gz")
        try data.write(to: file)
        let out = try ProcessRunner.run("/bin/gzip", ["-dc", file.path])
        guard out.succeeded else { throw WorldError("gzip -dc failed: \(out.stderr)") }
        return Data(out.stdout.utf8)
    }
}
