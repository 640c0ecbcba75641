import FieldSyncProtocol
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import ServiceLifecycle

/// `GET /v1/changes/watch?after=CURSOR`: live sync as server-sent events (WIRE-PROTOCOL §8a).
///
/// Authenticated and versioned like every `/v1` route; refusals come before the stream starts, as
/// ordinary error answers (`bad_cursor`, `unauthenticated`, `device_revoked`, `too_many_watches`).
/// The stream then says `ready`, `poke` whenever a commit concerns the device's scope (or at once,
/// when the feed already moved past `after`), a heartbeat comment every few seconds (each one also
/// checks the device's token and scope again, since revocations and allocations are made by admin
/// commands in another process), `refused` when the device may no longer sync, and `end` when the
/// watch's lifetime is over or the server stops. The stream never carries records: pull does.
struct WatchEndpoint: Sendable {
    let authenticator: DeviceAuthenticator
    let notifier: FeedNotifier

    /// What the watch starts from: the device's scope now, and whether it is already behind.
    private struct Start: Sendable {
        let scope: AccessScope
        let behind: Bool
    }

    func watch(_ request: Request) async throws -> Response {
        let authorization = request.headers[.authorization]
        let cursor: FeedCursor
        do {
            cursor = try Self.cursor(request.uri.queryParameters)
        } catch {
            // Who is asking comes first: a bad query from an unknown device is answered 401.
            _ = try await authenticator.authenticate(authorization: authorization)
            throw error
        }
        let commitsBefore = notifier.commits
        let (device, start) = try await authenticator.authenticate(authorization: authorization) { device, db in
            try Self.start(device: device, after: cursor, in: db)
        }
        let watch = try notifier.open(device: device.deviceId, scope: start.scope, commitsBefore: commitsBefore)
        let behind = start.behind || watch.missedCommit
        let notifier = self.notifier
        let authenticator = self.authenticator
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
            // nginx buffers answers unless told not to; a poke must reach the device at once.
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                notifier.started(watch)
                do {
                    try await Self.stream(
                        watch, scope: start.scope, behind: behind, authorization: authorization, notifier: notifier,
                        authenticator: authenticator, writer: &writer)
                } catch {
                    notifier.close(watch)
                    throw error
                }
                notifier.close(watch)
                try await writer.finish(nil)
            })
    }

    private static func cursor(_ query: FlatDictionary<Substring, Substring>) throws(APIError) -> FeedCursor {
        guard let text = query["after"].map(String.init), !text.isEmpty else { return .start }
        guard let cursor = FeedCursor(token: text) else {
            throw APIError(
                .badRequest, .badCursor,
                "The cursor '\(text)' is not one this server gave out; watch with the cursor of the device's last pull, or none.")
        }
        return cursor
    }

    /// Checks the cursor as a pull would, and whether the feed already moved past it for this device.
    private static func start(device: AuthenticatedDevice, after cursor: FeedCursor, in db: Database) throws -> Start {
        let head = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM feed_counter WHERE id = 1")) ?? 0
        guard cursor.sequence <= head else { throw FeedReader.badCursor(cursor, "it is beyond the end of the feed") }
        let scope = try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
        if cursor.generation == 0 {
            guard cursor.sequence == 0 else { throw FeedReader.badCursor(cursor, "it names no scope generation") }
            return Start(scope: scope, behind: true)  // never pulled: pull now
        }
        guard let given = try FeedReader.snapshot(device.deviceId.uuidString, cursor.generation, in: db) else {
            throw FeedReader.badCursor(cursor, "its scope generation was never given to this device")
        }
        if cursor.catchUp != nil || given != scope { return Start(scope: scope, behind: true) }
        let newer =
            try Bool.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT EXISTS(SELECT 1 FROM records WHERE version > ? AND kind IN (SELECT value FROM json_each(?))
                          AND (? OR young_person IN (SELECT value FROM json_each(?))))
                        """),
                arguments: [cursor.sequence, FeedReader.kindsJSON(scope.kinds), scope.allYoungPeople, scope.youngPeopleJSON]) ?? false
        return Start(scope: scope, behind: newer)
    }

    /// Writes the stream until the watch ends. Bounded by the watch's lifetime (``WatchLimits``):
    /// ``FeedNotifier/tick(now:)`` ends it then, ``FeedNotifier/shutDown()`` when the server stops,
    /// and a write to a connection the device has left throws.
    private static func stream(
        _ watch: FeedNotifier.Watch, scope initial: AccessScope, behind: Bool, authorization: String?, notifier: FeedNotifier,
        authenticator: DeviceAuthenticator, writer: inout any ResponseBodyWriter
    ) async throws {
        let limits = notifier.limits
        var opening = "retry: 2000\n\n"
        opening +=
            ServerSentEvent.json(
                .ready, LiveSync.Ready(heartbeatSeconds: limits.heartbeatSeconds, closesAfterSeconds: limits.lifetimeSeconds)
            ).wireText
        if behind { opening += ServerSentEvent.json(.poke, LiveSync.Poke(reason: "changes")).wireText }
        try await writer.write(ByteBuffer(string: opening))
        var scope = initial
        var wakes = watch.wakes.makeAsyncIterator()
        try await withGracefulShutdownHandler {
            while await wakes.next() != nil {
                let due = notifier.take(watch)
                if let ending = due.ending {
                    try await writer.write(ByteBuffer(string: ServerSentEvent.json(.end, LiveSync.End(reason: ending.rawValue)).wireText))
                    return
                }
                var text = ""
                if due.heartbeat {
                    switch await recheck(authorization, authenticator: authenticator) {
                    case .refused(let error):
                        try await writer.write(ByteBuffer(string: ServerSentEvent.json(.refused, ErrorBody(error.body)).wireText))
                        return
                    case .scope(let now) where now != scope:
                        scope = now
                        notifier.update(watch, scope: now)
                    case .scope, .unknown:
                        break
                    }
                    text += ServerSentEvent.comment("heartbeat")
                }
                if let poke = due.poke { text += ServerSentEvent.json(.poke, poke).wireText }
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
            }
        } onGracefulShutdown: {
            notifier.shutDown()
        }
    }

    private enum Recheck {
        case refused(APIError)
        case scope(AccessScope)
        /// The store could not be read just now: the watch goes on and checks again next time.
        case unknown
    }

    /// The device's token and scope as they are now (an admin may have revoked it, or moved a
    /// young person, from another process).
    private static func recheck(_ authorization: String?, authenticator: DeviceAuthenticator) async -> Recheck {
        do {
            let (_, scope) = try await authenticator.authenticate(authorization: authorization) { device, db in
                try AccessScope.of(user: device.userName, role: device.role, team: device.team, in: db)
            }
            return .scope(scope)
        } catch let error as APIError where [401, 403].contains(error.status.code) {
            return .refused(error)
        } catch {
            return .unknown
        }
    }
}
