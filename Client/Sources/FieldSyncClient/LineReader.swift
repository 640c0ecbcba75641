import Foundation

/// Reads a file line by line in fixed-size chunks (constant memory).
struct LineReader {
    let handle: FileHandle
    var buffer = Data()
    var finished = false

    init(handle: FileHandle) { self.handle = handle }

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
            let chunk = handle.readData(ofLength: 256 * 1024)
            if chunk.isEmpty { finished = true } else { buffer.append(chunk) }
        }
    }
}
