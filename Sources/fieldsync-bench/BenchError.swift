/// A failure that stops a benchmark run, with a sentence saying what went wrong.
struct BenchError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
