import FieldSyncProtocol
import FieldSyncTestSupport
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Speaks the wire protocol directly, as a device app in another language would: for the
/// tests that send what the CLI never would (repeats, malformed bodies, bad tokens).
struct WireClient: Sendable {
    let server: String
    var token: String?
    var protocolVersion: String? = String(WireProtocol.version)

    struct Answer {
        let status: Int
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var error: ErrorBody.Detail? { try? JSONDecoder().decode(ErrorBody.self, from: body).error }
    }

    func send(_ method: String, _ path: String, body: Data? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: server + path)!)
        request.httpMethod = method
        if let protocolVersion { request.setValue(protocolVersion, forHTTPHeaderField: WireProtocol.versionHeader) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// Enrols with a code from the admin CLI and returns a client holding the token.
    static func enrolled(
        _ world: TestWorld, user: String, role: String = "PA", team: String = "north", allocate: Bool = true
    ) async throws -> WireClient {
        try world.addUser(user, role: role, team: team)
        if allocate { try world.allocate(world.youngPerson, to: user, role: "co") }
        let code = try world.enrolmentCode(for: user)
        let client = WireClient(server: world.server.url)
        let answer = try await client.send(
            "POST", "/v1/enrol", body: try JSONEncoder().encode(EnrolmentRequest(code: code, deviceName: "wire")))
        guard answer.status == 200 else { throw WorldError("enrol failed: \(answer.text)") }
        var enrolled = client
        enrolled.token = try JSONDecoder().decode(EnrolmentResponse.self, from: answer.body).token
        return enrolled
    }

    func push(_ changeSet: ChangeSet) async throws -> Answer {
        try await send("POST", "/v1/changesets", body: try WireProtocol.makeEncoder().encode(changeSet))
    }

    /// Every record on the server, following the feed from the start.
    func pullAll() async throws -> [RecordSnapshot] {
        var cursor = ""
        var records: [RecordSnapshot] = []
        for _ in 0..<10_000 {
            let answer = try await send("GET", "/v1/changes?after=\(cursor)&limit=1000")
            guard answer.status == 200 else { throw WorldError("pull failed: \(answer.text)") }
            let page = try JSONDecoder().decode(PullPage.self, from: answer.body)
            records += page.records
            cursor = page.cursor
            if !page.more { break }
        }
        return records
    }
}
