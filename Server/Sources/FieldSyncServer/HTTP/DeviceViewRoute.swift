import FieldSyncProtocol
import Foundation
import Hummingbird

extension SyncRoutes {
    /// `POST /v1/device/views`: the views logged on the device (``OfflineViews``), into the audit
    /// trail once each; answers the highest view sequence the server holds for the device.
    func views(_ request: Request) async throws -> Response {
        let device = try await authenticator.authenticate(authorization: request.headers[.authorization])
        let upload = try await RequestDecoding.decode(
            DeviceViewUpload.self, from: request, maxBytes: maxBodyBytes, smaller: "send fewer views per upload")
        try OfflineViews.check(upload)
        // Through the writer: the entries join the chain in order with every other audit write,
        // and the answer waits until they are durable (a lost answer only means a repeat).
        let results = try await writer.commit([
            .offlineViews(upload.views, device: device), .deviceReport(Self.report(request), device: device.deviceId),
        ])
        guard let storedThrough = results.first ?? nil else {
            throw APIError(.serviceUnavailable, .unavailable, "The views could not be stored; send them again shortly.")
        }
        return try Self.json(DeviceViewReceipt(storedThrough: storedThrough))
    }
}
