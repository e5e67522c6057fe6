import Foundation
import VideoSeg

/// The figures the page shows and `/status.json` returns, from the pipeline's progress: for a
/// camera, capture and processed fps over the last second or so, drops and latency; for a file,
/// frames done of the total, fps and the time left.
final class LiveFigures: Sendable {
    private let input: String
    private let live: Bool
    /// The sample the rates are measured from, and the rates last measured.
    private let window = Locked((time: 0.0, captured: 0, done: 0, captureRate: 0.0, processRate: 0.0))
    private let started = ProcessInfo.processInfo.systemUptime

    init(input: String, live: Bool) {
        self.input = input
        self.live = live
    }

    /// The figures now, as a JSON object.
    func status(_ progress: SegmentProgress, running: Bool, viewers: Int, pictures: Int) -> [String: Any] {
        let now = ProcessInfo.processInfo.systemUptime - started
        let rates = window.withLock { window -> (Double, Double) in
            let elapsed = now - window.time
            // Rates over at least a second, measured again once a second has passed.
            if elapsed >= 1 {
                window.captureRate = Double(progress.framesCaptured - window.captured) / elapsed
                window.processRate = Double(progress.framesDone - window.done) / elapsed
                window.time = now
                window.captured = progress.framesCaptured
                window.done = progress.framesDone
            }
            return (window.captureRate, window.processRate)
        }
        let averageFPS = progress.seconds > 0 ? Double(progress.framesDone) / progress.seconds : 0
        var status: [String: Any] = [
            "input": input, "live": live, "running": running, "frames_done": progress.framesDone,
            "frames_captured": progress.framesCaptured, "frames_dropped": progress.framesDropped,
            "seconds": progress.seconds, "fps": averageFPS, "viewers": viewers, "pictures": pictures,
            "capture_fps": rates.0, "processed_fps": rates.1,
            "latency_ms": progress.latestLatency.map { $0 * 1000 } ?? NSNull(),
            "latency_mean_ms": progress.meanLatency.map { $0 * 1000 } ?? NSNull(),
            "latency_max_ms": progress.maxLatency.map { $0 * 1000 } ?? NSNull(),
            "frames_total": progress.framesExpected ?? NSNull(),
        ]
        if let total = progress.framesExpected, averageFPS > 0 {
            status["eta_seconds"] = Double(max(0, total - progress.framesDone)) / averageFPS
        } else {
            status["eta_seconds"] = NSNull()
        }
        return status
    }

    /// The chosen person's part of the figures.
    static func subject(_ status: SubjectStatus) -> [String: Any] {
        ["choice": status.choice, "following": status.following, "box": status.box ?? NSNull(),
         "lost_at": status.lostAt ?? NSNull(), "losses": status.losses]
    }

    /// `status` as JSON text.
    static func json(_ status: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
