/// Lets the global options (`--store PATH`, `--json`, `--quiet`) come before the subcommand, as
/// in `fieldsync --store alice.sqlite sync`.
///
/// Every subcommand declares these options itself (they show in its help), and ArgumentParser
/// reads a subcommand's options after its name; so the global options given before the first
/// subcommand word are moved to the end, where any subcommand reads them (before a `--`, which
/// ends the options). Both placements then mean the same.
enum GlobalOptionOrder {
    static let flags: Set<String> = ["--json", "--quiet", "-q"]
    static let withValue: Set<String> = ["--store"]

    static func normalise(_ arguments: [String]) -> [String] {
        var early: [String] = []
        var rest = arguments[...]
        // Bounded by the arguments: each round takes one or two of them, or stops.
        while let first = rest.first {
            if flags.contains(first) || withValue.contains(where: { first.hasPrefix($0 + "=") }) {
                early.append(first)
                rest = rest.dropFirst()
            } else if withValue.contains(first), rest.count >= 2 {
                early.append(contentsOf: rest.prefix(2))
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard !early.isEmpty, !rest.isEmpty else { return arguments }
        var moved = Array(rest)
        let end = moved.firstIndex(of: "--") ?? moved.endIndex
        moved.insert(contentsOf: early, at: end)
        return moved
    }
}
