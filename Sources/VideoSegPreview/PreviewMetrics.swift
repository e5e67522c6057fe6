import Foundation
import Prometheus
import VideoSeg

/// The run's figures in Prometheus's text format, for an operator graphing a long-running camera:
/// frames processed, captured and dropped, the latency histogram, busy seconds per stage, preview
/// clients and pictures. Latencies are recorded as frames finish (from a stage thread: a short
/// lock, no waiting); the counters that the pipeline keeps itself are brought up to date when
/// `/metrics` is read.
final class PreviewMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let framesDone: Counter
    private let framesCaptured: Counter
    private let framesDropped: Counter
    private let latency: ValueHistogram
    private let clients: Gauge
    private let pictures: Counter
    private let stageBusy: [StageName: Counter]
    /// What the counters have been told so far, so each scrape adds only what is new.
    private let reported = Locked((done: 0, captured: 0, dropped: 0, pictures: 0, busy: [StageName: Double]()))

    /// Latency buckets, seconds: a frame interval at 60 fps up to a few seconds.
    static let latencyBuckets: [Double] = [0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5]

    init() {
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "videoseg", metricName: name, unitName: unit, helpText: help)
        }
        framesDone = registry.makeCounter(descriptor: descriptor("frames_processed", "total", "Frames finished by every output."))
        framesCaptured = registry.makeCounter(descriptor: descriptor("frames_captured", "total", "Frames read from the input (live: including dropped ones)."))
        framesDropped = registry.makeCounter(descriptor: descriptor("frames_dropped", "total", "Live input: frames replaced by a newer one before inference took them."))
        latency = registry.makeValueHistogram(
            descriptor: descriptor("latency", "seconds", "Live input: seconds from a frame's capture to its last output."), buckets: PreviewMetrics.latencyBuckets)
        clients = registry.makeGauge(descriptor: descriptor("preview_clients", "count", "Clients of the MJPEG stream now."))
        pictures = registry.makeCounter(descriptor: descriptor("preview_pictures", "total", "JPEG pictures made for the preview."))
        var stageBusy: [StageName: Counter] = [:]
        for stage in StageName.allCases {
            stageBusy[stage] = registry.makeCounter(
                descriptor: descriptor("stage_busy", "seconds_total", "Seconds each pipeline stage spent working."), labels: [("stage", stage.rawValue)])
        }
        self.stageBusy = stageBusy
    }

    /// One frame finished, `latency` seconds after its capture (live input).
    func frameFinished(latency seconds: Double?) {
        if let seconds { latency.record(seconds) }
    }

    /// The text exposition, after bringing the counters up to `progress` and `busy`.
    func text(progress: SegmentProgress, busy: [StageName: Double], clients count: Int, pictures made: Int) -> String {
        reported.withLock { reported in
            func add(_ counter: Counter, _ now: Int, _ before: Int) { if now > before { counter.increment(by: Int64(now - before)) } }
            add(framesDone, progress.framesDone, reported.done)
            add(framesCaptured, progress.framesCaptured, reported.captured)
            add(framesDropped, progress.framesDropped, reported.dropped)
            add(pictures, made, reported.pictures)
            reported.done = max(reported.done, progress.framesDone)
            reported.captured = max(reported.captured, progress.framesCaptured)
            reported.dropped = max(reported.dropped, progress.framesDropped)
            reported.pictures = max(reported.pictures, made)
            for (stage, seconds) in busy {
                let before = reported.busy[stage] ?? 0
                if seconds > before {
                    stageBusy[stage]?.increment(by: seconds - before)
                    reported.busy[stage] = seconds
                }
            }
            clients.set(Double(count))
        }
        return registry.emitToString()
    }
}
