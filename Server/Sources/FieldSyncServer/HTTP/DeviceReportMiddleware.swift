import FieldSyncProtocol
import HTTPTypes
import Hummingbird

/// Says on the answer which health headers (`FieldSync-Unsent` …) the server ignored as
/// malformed: `FieldSync-Warning: FieldSync-Unsent ignored: …`. The request itself goes on; the
/// bad values are not stored (see ``DeviceReport/parse(_:)``).
struct DeviceReportMiddleware<Context: RequestContext>: RouterMiddleware {
    static var warningHeader: HTTPField.Name { HTTPField.Name("FieldSync-Warning")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let ignored = DeviceReport.parse(request.headers).ignored
        var response = try await next(request, context)
        if !ignored.isEmpty {
            response.headers[Self.warningHeader] = ignored.joined(separator: "; ")
        }
        return response
    }
}
