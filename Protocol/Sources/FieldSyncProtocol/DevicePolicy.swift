import Foundation

/// What the server allows a device while it is out of contact, and how long finished records
/// stay on it (`GET /v1/device/policy`; domain model §5, items 2 and 7).
///
/// All three run on the device's own clock, from its last sync that reached the server (the
/// lease and the erase limit) or from a record's last change (retention).
public struct DevicePolicy: Codable, Sendable, Equatable {
    /// Past this long without contact the device shows and exports no case content until it
    /// syncs again; editing and syncing still work.
    public var offlineLeaseSeconds: Int
    /// Past this long without contact the device erases every record and keeps only its outbox
    /// (unsent edits), until it can send it. Never earlier than the lease.
    public var offlineEraseSeconds: Int
    /// An authorised visit or a finalised PEP, synced and unchanged for this long, leaves the
    /// device; it is fetched again on demand.
    public var retentionSeconds: Int

    public init(offlineLeaseSeconds: Int, offlineEraseSeconds: Int, retentionSeconds: Int) {
        self.offlineLeaseSeconds = offlineLeaseSeconds
        self.offlineEraseSeconds = offlineEraseSeconds
        self.retentionSeconds = retentionSeconds
    }

    public static let secondsPerDay = 86_400

    /// The defaults (docs/decisions.md, "Device policy"): a 14-day lease, the top of the 7 to 14
    /// days the domain model asks for, so a fortnight's leave does not lock a worker out on
    /// the first morning back only if they sync first; erasure at 28 days, two clear weeks of
    /// warnings after the lease and before a device's 30-day sign-in runs out, so the outbox
    /// can still be sent; retention of 42 days, the longest gap allowed between statutory
    /// visits in a placement's first year, so the last visit's record is on the device at the next.
    public static let standard = DevicePolicy(
        offlineLeaseSeconds: 14 * secondsPerDay, offlineEraseSeconds: 28 * secondsPerDay, retentionSeconds: 42 * secondsPerDay)

    /// The longest any of the three may be (a year): past it a lost device would keep records for too long to defend.
    public static let maxSeconds = 366 * secondsPerDay

    /// This policy with some of its limits replaced (a device's own, set at enrolment), made
    /// consistent: the erase limit is never earlier than the lease.
    public func overridden(lease: Int?, erase: Int?, retention: Int?) -> DevicePolicy {
        let lease = lease ?? offlineLeaseSeconds
        return DevicePolicy(
            offlineLeaseSeconds: lease, offlineEraseSeconds: max(erase ?? offlineEraseSeconds, lease),
            retentionSeconds: retention ?? retentionSeconds)
    }

    /// Why a limit given in seconds cannot be used, or nil when it can.
    public static func problem(_ seconds: Int, named name: String) -> String? {
        (1...maxSeconds).contains(seconds)
            ? nil : "\(name) must be from 1 second to \(maxSeconds / secondsPerDay) days (\(maxSeconds) seconds), not \(seconds) seconds."
    }
}
