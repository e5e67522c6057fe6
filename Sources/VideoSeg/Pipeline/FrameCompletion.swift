import Foundation

/// Counts frames as done once every branch of the run (annotated video, masks) has finished
/// them, and keeps the progress and latency figures that go with that.
final class FrameCompletion: Sendable {
    private let branches: Int
    /// Branches still owing each frame that some but not all branches have finished.
    private let pending = Locked<[Int: Int]>([:])
    private let progress: Locked<SegmentProgress>
    private let observer: (any LiveObserver)?
    /// When the run started (monotonic seconds).
    let started: Double

    /// `branches` ends report each frame; `progress` is updated as frames complete.
    /// `observer` hears of each finished frame.
    init(branches: Int, progress: Locked<SegmentProgress>, observer: (any LiveObserver)? = nil) {
        self.branches = max(1, branches)
        self.progress = progress
        self.observer = observer
        started = monotonicSeconds()
    }

    /// One branch has finished the frame of `ticket`.
    func finished(_ ticket: FrameTicket) {
        if branches > 1 {
            let complete = pending.withLock { owed -> Bool in
                let left = owed[ticket.index, default: branches] - 1
                owed[ticket.index] = left == 0 ? nil : left
                return left == 0
            }
            guard complete else { return }
        }
        let now = monotonicSeconds()
        defer { observer?.frameFinished(latency: ticket.captureTime.map { now - $0 }) }
        progress.withLock { progress in
            if let captured = ticket.captureTime {
                let latency = now - captured
                let count = Double(progress.framesDone)
                progress.latestLatency = latency
                progress.meanLatency = ((progress.meanLatency ?? 0) * count + latency) / (count + 1)
                progress.maxLatency = max(progress.maxLatency ?? 0, latency)
            }
            progress.framesDone += 1
            progress.seconds = now - started
        }
    }
}

/// The reading of `clock` in seconds.
func clockSeconds(_ clock: clockid_t) -> Double {
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Seconds on the monotonic clock (the one V4L2 stamps frames with).
func monotonicSeconds() -> Double { clockSeconds(CLOCK_MONOTONIC) }

/// CPU seconds of the calling thread.
func threadCPUSeconds() -> Double { clockSeconds(CLOCK_THREAD_CPUTIME_ID) }

/// CPU seconds of the whole process (all threads).
func processCPUSeconds() -> Double { clockSeconds(CLOCK_PROCESS_CPUTIME_ID) }

/// Seconds since this process started, loading its shared libraries included (libtorch's
/// static set-up is a large part of a short run): the kernel's start time of the process
/// (/proc/self/stat, in clock ticks since boot) against the boot-time clock. Ticks are 10 ms.
public func secondsSinceProcessStart() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
          let afterName = text.lastIndex(of: ")")
    else { return nil }
    // Fields after the command name, which may hold spaces; starttime is field 22 overall.
    let fields = text[text.index(after: afterName)...].split(separator: " ")
    guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
    return clockSeconds(CLOCK_BOOTTIME) - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
}
