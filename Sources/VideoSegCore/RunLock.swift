import Foundation

/// An exclusive flock(2) on a file, held for as long as a run writes beside it. The kernel drops
/// it when the process ends, however it ends, so a file that exists but is not locked was left by
/// a run that was killed, and one that is locked belongs to a run that is still going.
package final class RunLock {
    private var descriptor: Int32
    /// Whether the file was there, unlocked, before: the leftover of a killed run.
    package let foundStale: Bool

    /// Locks `path`, creating it if needed. Throws `outputNotWritable` naming `output` when a
    /// live run holds the lock.
    package init(path: String, output: String) throws {
        let existed = FileManager.default.fileExists(atPath: path)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw VideoSegError.outputNotWritable(path: output, reason: SettingMessage(String(cString: strerror(errno))))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            close(descriptor)
            throw VideoSegError.outputNotWritable(path: output, reason: "another videoseg run is writing it now")
        }
        foundStale = existed
    }

    deinit {
        release()
    }

    /// Lets go of the lock (the file stays).
    package func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}
