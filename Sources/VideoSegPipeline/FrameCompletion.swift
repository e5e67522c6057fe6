import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Counts frames as done once every branch of the run (annotated video, masks) has finished
/// them, and keeps the progress and latency figures that go with that.
final class FrameCompletion: Sendable {
    private let branches: Int
    /// Branches still owing each frame that some but not all branches have finished.
    private let pending = Locked<[Int: Int]>([:])
    private let progress: Locked<SegmentProgress>
    private let observer: (any LiveObserver)?
    /// When the run started (monotonic seconds).
    package let started: Double

    /// `branches` ends report each frame; `progress` is updated as frames complete.
    /// `observer` hears of each finished frame.
    package init(branches: Int, progress: Locked<SegmentProgress>, observer: (any LiveObserver)? = nil) {
        self.branches = max(1, branches)
        self.progress = progress
        self.observer = observer
        started = monotonicSeconds()
    }

    /// One branch has finished the frame of `ticket`.
    package func finished(_ ticket: FrameTicket) {
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

