/// The FieldSync release this build is. One constant for every place that names a version: both
/// executables' `--version`, the server's health answers, the client's `FieldSync-Client` header
/// and the protocol document's title.
public enum FieldSyncVersion {
    /// Semantic version of this build (`MAJOR.MINOR.PATCH`).
    public static let current = "0.2.0"
}
