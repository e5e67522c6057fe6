import ArgumentParser
import Foundation

/// Upper bounds on the options that size memory and threads, so a typo cannot exhaust the
/// machine: each value beyond them is a usage error (exit 64), not a run that the kernel's OOM
/// killer ends (possibly killing another process first).
enum ResourceLimits {
    /// The most slots a queue between stages may have. Memory grows with the queue capacity
    /// times the frame size (decoded frames, model tensors, score maps and rendered frames each
    /// wait in one): 64 slots of 4K frames are already over 2 GB, while a few slots are enough
    /// to keep every stage busy.
    static let maxQueueDepth = 64

    /// The most libtorch threads: four per core. More only adds switching between threads (1000
    /// took minutes for five small frames), and creating the pool can hang under `ulimit -v`.
    static var maxThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount * 4) }

    /// Refuses a `--threads` value outside 1...maxThreads.
    static func checkThreads(_ threads: Int) throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard threads <= maxThreads else {
            throw ValidationError("--threads \(threads) is too many: at most \(maxThreads) (4 per core) on this machine")
        }
    }

    /// Refuses a `--queue-depth` value outside 1...maxQueueDepth.
    static func checkQueueDepth(_ depth: Int) throws {
        guard depth >= 1 else { throw ValidationError("--queue-depth must be at least 1") }
        guard depth <= maxQueueDepth else {
            throw ValidationError("--queue-depth \(depth) is too large: at most \(maxQueueDepth) (each slot holds a whole frame)")
        }
    }
}

extension ResourceLimits {
    /// Raises the soft limit on open files to the hard one, as servers do at start: the common
    /// soft limit of 1024 is shared by the run's files, libtorch's and FFmpeg's, and the preview's
    /// viewers. It changes nothing where the hard limit is as low (the preview caps its own share).
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}
