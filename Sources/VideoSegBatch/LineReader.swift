import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

/// Lines read from a file descriptor as they come (a pipe answers a line at a time, so nothing
/// may wait for more input than the line that is there).
struct LineReader {
    private let descriptor: Int32
    private var buffer = Data()
    private var ended = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next line without its line break; the last line even without one; nil at the end.
    mutating func next() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[buffer.index(after: newline)...])
                return Data(line)
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = Data() }
                return buffer
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                ended = true
            } else {
                buffer.append(contentsOf: chunk[0..<count])
            }
        }
    }
}
