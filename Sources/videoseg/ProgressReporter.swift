import Foundation
import VideoSeg

/// Shows progress on stderr: a redrawn bar on a terminal, or (with `--progress bar` into a pipe
/// or file) one line a second. The first line appears as soon as the first frame is written.
final class ProgressReporter: Sendable {
    /// A redrawn bar (terminal), a line a second (pipe), or the live status line each second.
    enum Style {
        case bar, lines, liveStatus
    }

    private let pipeline: SegmentationPipeline
    private let style: Style
    private var redraw: Bool { style == .bar }
    private let stopped = Locked(false)
    /// Signalled by `stop`, so the thread ends at once rather than after its next nap.
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(pipeline: SegmentationPipeline, style: Style) {
        self.pipeline = pipeline
        self.style = style
    }

    func start() {
        let thread = Thread { [self] in
            var lastPrinted: Double = -10
            var lastFrames = 0
            var lastStatus = (time: Date(), captured: 0, done: 0)
            while !stopped.current {
                let progress = pipeline.progress
                if style == .liveStatus {
                    let now = Date()
                    let elapsed = now.timeIntervalSince(lastStatus.time)
                    if elapsed >= 1 {
                        showStatus(progress, captureRate: Double(progress.framesCaptured - lastStatus.captured) / elapsed,
                                   processRate: Double(progress.framesDone - lastStatus.done) / elapsed)
                        lastStatus = (now, progress.framesCaptured, progress.framesDone)
                    }
                    _ = wake.wait(timeout: .now() + 0.05)
                    continue
                }
                if progress.framesDone > lastFrames && (lastFrames == 0 || progress.seconds - lastPrinted >= (redraw ? 0.2 : 1)) {
                    lastFrames = progress.framesDone
                    lastPrinted = progress.seconds
                    show(progress)
                }
                _ = wake.wait(timeout: .now() + 0.05)
            }
            if redraw && lastFrames > 0 { Terminal.raw("\n") }
            finished.signal()
        }
        thread.name = "videoseg.progress"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        wake.signal()
        finished.wait()
    }

    private func showStatus(_ progress: SegmentProgress, captureRate: Double, processRate: Double) {
        let latency = progress.latestLatency.map { String(format: "%.0f ms", $0 * 1000) } ?? "-"
        Terminal.raw(String(format: "live: capture %.1f fps, processed %.1f fps, dropped %d, latency %@\n", captureRate, processRate,
                            progress.framesDropped, latency))
    }

    private func show(_ progress: SegmentProgress) {
        let fps = progress.seconds > 0 ? Double(progress.framesDone) / progress.seconds : 0
        var text: String
        if let total = progress.framesExpected, total > 0 {
            let fraction = min(1, Double(progress.framesDone) / Double(total))
            let remaining = fps > 0 ? Double(max(0, total - progress.framesDone)) / fps : 0
            let eta = String(format: "%d:%02d", Int(remaining) / 60, Int(remaining) % 60)
            if redraw {
                let width = 30
                let filled = Int(fraction * Double(width))
                text = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            } else {
                text = "progress: "
            }
            text += "\(progress.framesDone)/\(total) frames, \(String(format: "%.1f", fps)) fps, ETA \(eta)"
        } else {
            text = (redraw ? "" : "progress: ") + "\(progress.framesDone) frames, \(String(format: "%.1f", fps)) fps"
        }
        if redraw {
            Terminal.raw("\r\u{1B}[K" + text)
        } else {
            Terminal.raw(text + "\n")
        }
    }
}
