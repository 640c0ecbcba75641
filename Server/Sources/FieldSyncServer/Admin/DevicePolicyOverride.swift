import FieldSyncProtocol

/// A device's own offline lease, erase limit and retention, in seconds, set at enrolment
/// (`admin device enrol --offline-lease-days N`); each nil takes the server's default.
public struct DevicePolicyOverride: Sendable, Equatable {
    public var offlineLeaseSeconds: Int?
    public var offlineEraseSeconds: Int?
    public var retentionSeconds: Int?

    public init(offlineLeaseSeconds: Int? = nil, offlineEraseSeconds: Int? = nil, retentionSeconds: Int? = nil) {
        self.offlineLeaseSeconds = offlineLeaseSeconds
        self.offlineEraseSeconds = offlineEraseSeconds
        self.retentionSeconds = retentionSeconds
    }

    /// Why these limits cannot be used, or nil.
    var problem: String? {
        let given: [(Int?, String)] = [
            (offlineLeaseSeconds, "The offline lease"), (offlineEraseSeconds, "The offline erase limit"),
            (retentionSeconds, "The retention on the device"),
        ]
        for case (let seconds?, let name) in given {
            if let problem = DevicePolicy.problem(seconds, named: name) { return problem }
        }
        if let lease = offlineLeaseSeconds, let erase = offlineEraseSeconds, erase < lease {
            return
                "The offline erase limit (\(erase) s) must not be earlier than the offline lease (\(lease) s): records are erased only after they are locked."
        }
        return nil
    }
}
