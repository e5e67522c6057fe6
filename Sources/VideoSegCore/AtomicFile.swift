import Foundation

/// Whole-file writes that a reader (or a crash) sees as the old file or the whole new one, never
/// a part: the bytes go into a hidden temporary file in the same folder, are flushed to the disk,
/// and the temporary is renamed over the destination.
package enum AtomicFile {
    /// Writes `data` to `path`. `durable` flushes the bytes to the disk before the rename (a file
    /// a person asked for); a mask a frame, a report line or a record rewritten often skips it,
    /// since fsync per file costs milliseconds and a crash leaves the old file or none, never a
    /// part, either way. `beforeRename` runs just before the rename and may throw to abandon the
    /// write (a policy that checks again what is at `path` now); the temporary file is removed
    /// on every failure.
    package static func write(_ data: Data, to path: String, durable: Bool = true, beforeRename: () throws -> Void = {}) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).videoseg-partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        // O_EXCL: never write through something that appeared under the temporary name.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw VideoSegError.outputNotWritable(path: path, reason: SettingMessage(String(cString: strerror(errno))))
        }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let failure = writeAll(data, to: descriptor, durable: durable)
        close(descriptor)
        if let failure { throw VideoSegError.writeFailed(path: path, reason: failure) }
        try beforeRename()
        guard rename(temporary, path) == 0 else { throw VideoSegError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        renamed = true
    }

    /// Writes all of `data`, flushed to the disk when `durable`; the error text on failure.
    private static func writeAll(_ data: Data, to descriptor: Int32, durable: Bool) -> String? {
        let failed = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return true }
                offset += written
            }
            return false
        }
        if failed || (durable && fsync(descriptor) != 0) { return String(cString: strerror(errno)) }
        return nil
    }
}
