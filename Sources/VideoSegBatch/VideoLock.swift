import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegPipeline

/// The lock a batch holds on one video from the moment it decides to work on it until its outputs
/// and done-record are in place: a hidden `.NAME.videoseg-lock` beside the outputs, flock(2)ed.
///
/// Two runs at one video (a Ray task retried while its first attempt's process still runs, two
/// overlapping batches on the same folder) would otherwise meet in the hidden masks folder, which
/// the batch empties before it starts, and in the done-record; the video file's own `RunLock`
/// comes too late for those, and a masks-only run has none. The second run waits for the first
/// (then finds the video done, or takes it over from a run that died), or, past its wait, is
/// refused with the same message as `RunLock`'s ("another videoseg run is writing it now"), and
/// touches nothing.
///
/// Unlike `RunLock`, the file is removed when the video is finished, so an output folder keeps no
/// lock files. Removing a lock file is only safe with a check after locking: a run that opened the
/// file just before its holder removed it would otherwise lock a file nobody else can find.
/// The kernel drops the lock when a process dies, so a killed run's file is simply taken over.
final class VideoLock {
    private var descriptor: Int32
    package let path: String

    /// Locks the lock file for outputs named `stem`; `output` names the video in errors. While
    /// another run holds it, waits up to `wait` seconds (nil: as long as that run holds it, 0:
    /// not at all) unless `stopped` says to give up.
    package init(stem: String, output: String, wait: Double? = 0, stopped: () -> Bool = { false }) throws {
        let deadline = wait.map { Date().addingTimeInterval($0) }
        let url = URL(fileURLWithPath: stem)
        path = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).videoseg-lock").path
        descriptor = -1
        while descriptor < 0 {
            let candidate = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard candidate >= 0 else {
                throw VideoSegError.outputNotWritable(path: output, reason: SettingMessage(String(cString: strerror(errno))))
            }
            if flock(candidate, LOCK_EX | LOCK_NB) != 0 {
                close(candidate)
                if stopped() || deadline.map({ Date() >= $0 }) == true {
                    throw VideoSegError.outputNotWritable(path: output, reason: "another videoseg run is writing it now")
                }
                // Polled rather than a blocking flock, so a stop request is seen while waiting.
                usleep(100_000)
                continue
            }
            if VideoLock.isStillNamed(candidate, path: path) {
                descriptor = candidate
            } else {
                // Its holder removed it between our open and our flock: lock the file there now.
                close(candidate)
            }
        }
    }

    deinit {
        release()
    }

    /// Removes the file, then lets go of the lock (in that order, see the type's notes).
    func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    /// Whether `path` still names the file open as `descriptor`.
    private static func isStillNamed(_ descriptor: Int32, path: String) -> Bool {
        var held = stat(), named = stat()
        guard fstat(descriptor, &held) == 0, stat(path, &named) == 0 else { return false }
        return held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }
}
