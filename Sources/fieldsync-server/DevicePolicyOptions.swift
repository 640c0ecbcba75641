import ArgumentParser
import FieldSyncProtocol
import FieldSyncServer

/// `admin device enrol`'s limits for one device: each in days, or in seconds (for tests and
/// demos); each one left out takes the server's (`serve --offline-lease-days` ...).
struct DevicePolicyOptions: ParsableArguments {
    @Option(help: "Days this device may go without syncing before it stops showing case records (default: the server's).")
    var offlineLeaseDays: Int?
    @Option(help: ArgumentHelp("The offline lease in seconds, instead of days.", visibility: .hidden))
    var offlineLeaseSeconds: Int?
    @Option(help: "Days without syncing after which this device erases all but its unsent edits (default: the server's).")
    var offlineEraseDays: Int?
    @Option(help: ArgumentHelp("The offline erase limit in seconds, instead of days.", visibility: .hidden))
    var offlineEraseSeconds: Int?
    @Option(help: "Days an authorised or finalised record, synced and unchanged, stays on this device (default: the server's).")
    var retentionDays: Int?
    @Option(help: ArgumentHelp("The retention in seconds, instead of days.", visibility: .hidden))
    var retentionSeconds: Int?

    func validate() throws {
        for (days, seconds, name) in [
            (offlineLeaseDays, offlineLeaseSeconds, "offline-lease"), (offlineEraseDays, offlineEraseSeconds, "offline-erase"),
            (retentionDays, retentionSeconds, "retention"),
        ] where days != nil && seconds != nil {
            throw ValidationError("Give --\(name)-days or --\(name)-seconds, not both.")
        }
    }

    var override: DevicePolicyOverride {
        func seconds(_ days: Int?, _ seconds: Int?) -> Int? {
            // Days beyond the limit stay beyond it (the service refuses them), without overflowing.
            guard let days else { return seconds }
            let (product, overflow) = days.multipliedReportingOverflow(by: DevicePolicy.secondsPerDay)
            return overflow ? Int.max : product
        }
        return DevicePolicyOverride(
            offlineLeaseSeconds: seconds(offlineLeaseDays, offlineLeaseSeconds),
            offlineEraseSeconds: seconds(offlineEraseDays, offlineEraseSeconds),
            retentionSeconds: seconds(retentionDays, retentionSeconds))
    }
}
