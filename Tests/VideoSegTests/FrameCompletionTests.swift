import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegPipeline

/// Frames count as done once every branch has finished them; live frames carry their latency.
@Suite struct FrameCompletionTests {
    /// Records what a live observer hears.
    final class Listener: LiveObserver {
        let latencies = Locked<[Double?]>([])
        var wantsPictures: Bool { false }
        func show(_ picture: PreviewPicture) {}
        func frameFinished(latency: Double?) { latencies.withLock { $0.append(latency) } }
    }

    @Test func aFrameIsDoneOnlyWhenBothBranchesHaveFinishedIt() {
        let progress = Locked(SegmentProgress())
        let completion = FrameCompletion(branches: 2, progress: progress)
        let first = FrameTicket(index: 0, pts: 0, captureTime: nil), second = FrameTicket(index: 1, pts: 1, captureTime: nil)
        completion.finished(first)
        completion.finished(second)
        #expect(progress.current.framesDone == 0)
        completion.finished(second)
        #expect(progress.current.framesDone == 1)
        completion.finished(first)
        #expect(progress.current.framesDone == 2)
        #expect(progress.current.latestLatency == nil && progress.current.meanLatency == nil)
    }

    @Test func oneBranchCountsEachFrameAtOnce() {
        let progress = Locked(SegmentProgress())
        let completion = FrameCompletion(branches: 0, progress: progress)
        for index in 0..<3 { completion.finished(FrameTicket(index: index, pts: Int64(index), captureTime: nil)) }
        #expect(progress.current.framesDone == 3)
        #expect(progress.current.seconds >= 0)
    }

    @Test func liveFramesKeepTheirLatencyAndTellTheObserver() throws {
        let progress = Locked(SegmentProgress())
        let listener = Listener()
        let completion = FrameCompletion(branches: 1, progress: progress, observer: listener)
        let now = monotonicSeconds()
        completion.finished(FrameTicket(index: 0, pts: 0, captureTime: now - 0.2))
        completion.finished(FrameTicket(index: 1, pts: 1, captureTime: now - 0.4))
        completion.finished(FrameTicket(index: 2, pts: 2, captureTime: nil))
        let figures = progress.current
        #expect(figures.framesDone == 3)
        let latest = try #require(figures.latestLatency), mean = try #require(figures.meanLatency), max = try #require(figures.maxLatency)
        // Measured against the clock when each finished: at least the age given, and not much more.
        #expect(latest >= 0.4 && latest < 1.4)
        #expect(max == latest)
        #expect(mean >= 0.3 && mean < latest)
        let heard = listener.latencies.current
        #expect(heard.count == 3 && heard[2] == nil)
        #expect(try #require(heard[0]) >= 0.2 && (try #require(heard[1])) >= 0.4)
    }
}
