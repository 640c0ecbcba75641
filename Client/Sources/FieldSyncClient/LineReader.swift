import Foundation

/// Reads lines from a source of chunks (a file in fixed-size chunks, a ``SealedSpool``) in
/// constant memory.
struct LineReader {
    /// The next chunk; empty at the end.
    let nextChunk: () -> Data
    var buffer = Data()
    var finished = false

    init(nextChunk: @escaping () -> Data) { self.nextChunk = nextChunk }

    init(handle: FileHandle) { self.init { handle.readData(ofLength: 256 * 1024) } }

    mutating func next() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return Data(line)
            }
            if finished {
                if buffer.isEmpty { return nil }
                defer { buffer.removeAll() }
                return buffer
            }
            let chunk = nextChunk()
            if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
        }
    }
}
