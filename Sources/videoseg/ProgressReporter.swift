import Foundation
import VideoSeg

/// Shows progress on stderr: a redrawn bar on a terminal, or (with `--progress bar` into a pipe
/// or file) one line a second. The first line appears as soon as the first frame is written.
final class ProgressReporter: @unchecked Sendable {
    // @unchecked: `stopped` is behind `lock`; the thread reads the pipeline's locked snapshot.
    private let pipeline: SegmentationPipeline
    private let redraw: Bool
    private let lock = NSCondition()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(pipeline: SegmentationPipeline, redraw: Bool) {
        self.pipeline = pipeline
        self.redraw = redraw
    }

    func start() {
        let thread = Thread { [self] in
            var lastPrinted: Double = -10
            var lastFrames = 0
            lock.lock()
            while !stopped {
                lock.unlock()
                let progress = pipeline.progress
                if progress.framesDone > lastFrames && (lastFrames == 0 || progress.seconds - lastPrinted >= (redraw ? 0.2 : 1)) {
                    lastFrames = progress.framesDone
                    lastPrinted = progress.seconds
                    show(progress)
                }
                lock.lock()
                _ = lock.wait(until: Date().addingTimeInterval(0.05))
            }
            lock.unlock()
            if redraw && lastFrames > 0 { Terminal.raw("\n") }
            finished.signal()
        }
        thread.name = "videoseg.progress"
        thread.start()
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
        finished.wait()
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
