import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Reads and decodes the input and hands on decoded frames and audio packets in stream order.
///
/// Audio packets are held back until a video frame at least as late has been sent, so that a
/// stop (Ctrl-C, `--max-frames`, `--duration`) can cut the audio where the video ends.
final class SourceStage: Sendable {
    package let name = StageName.source
    private let source: MediaSource
    private let policy: InputPolicy
    private let maxFrames: Int?
    private let duration: Double?
    private let stop: StopFlag
    private let progress: Locked<SegmentProgress>
    private let injectedFailure: InjectedFailure?
    /// A file whose audio runs on far past its video would otherwise hold it all.
    private let heldAudioLimit = 512
    private let decoded = Locked(0)
    /// Frames decoded (captured, for live input), once the stage has ended.
    package var framesDecoded: Int { decoded.current }

    package init(source: MediaSource, policy: InputPolicy, maxFrames: Int?, duration: Double?, stop: StopFlag,
         progress: Locked<SegmentProgress>, injectedFailure: InjectedFailure? = nil)
    {
        self.injectedFailure = injectedFailure
        self.source = source
        self.policy = policy
        self.maxFrames = maxFrames
        self.duration = duration
        self.stop = stop
        self.progress = progress
    }

    /// Damage in the input that did not stop decoding.
    package var warnings: [String] { source.warnings }

    /// Reads until the input ends, a limit is reached, a stop is requested or `outlet` is
    /// cancelled; `busy` is told the time spent reading and decoding.
    package func run(into outlet: Outlet<DecodedFrame>, busy: (Double) -> Void) throws {
        let started = monotonicSeconds()
        var lastPts: Int64?
        var firstPts: Int64?
        var cut = false
        var heldAudio: [MediaPacket] = []
        var framesDecoded = 0
        while !stop.isRaised {
            if let maxFrames, framesDecoded >= maxFrames { cut = true; break }
            if let duration, monotonicSeconds() - started >= duration { cut = true; break }
            let began = monotonicSeconds()
            guard let event = try source.next() else { break }
            busy(began)
            switch event {
            case .idle:
                // Nothing captured yet: a short nap, then look at the stop flag again.
                usleep(1000)
            case .audio(let packet):
                guard policy.carriesAudio else { continue }
                heldAudio.append(packet)
                if heldAudio.count > heldAudioLimit, !outlet.send(.audio(heldAudio.removeFirst())) { return }
            case .video(let frame):
                var captureTime: Double?
                if policy.stampsCaptureTime {
                    captureTime = SourceStage.captureTime(pts: frame.pts, timeBase: source.timeBase)
                    let origin = firstPts ?? frame.pts
                    firstPts = origin
                    frame.pts -= origin
                }
                let ticket = FrameTicket(index: framesDecoded, pts: frame.pts, captureTime: captureTime)
                try injectedFailure?.check(name, frame: ticket.index)
                lastPts = frame.pts
                framesDecoded += 1
                decoded.withLock { $0 = framesDecoded }
                progress.withLock { $0.framesCaptured = framesDecoded }
                if !releaseAudio(&heldAudio, to: outlet, upTo: frame.pts, strictlyBefore: false) { return }
                if !outlet.send(.frame(ticket, frame)) { return }
            }
        }
        if stop.isRaised { cut = true }
        if cut {
            // Audio up to the end of the last frame sent, no further.
            if let lastPts { _ = releaseAudio(&heldAudio, to: outlet, upTo: lastPts + source.nominalFrameDuration, strictlyBefore: true) }
        } else {
            _ = releaseAudio(&heldAudio, to: outlet, upTo: nil, strictlyBefore: false)
        }
    }

    /// Sends the held audio packets up to video time `videoPts` (all of them when nil). Returns
    /// false when the run was cancelled.
    private func releaseAudio(_ heldAudio: inout [MediaPacket], to outlet: Outlet<DecodedFrame>, upTo videoPts: Int64?, strictlyBefore: Bool) -> Bool {
        while let first = heldAudio.first {
            if let videoPts, let order = source.compare(first, toVideo: videoPts) {
                if order > 0 || (strictlyBefore && order == 0) { break }
            }
            heldAudio.removeFirst()
            if !outlet.send(.audio(first)) { return false }
        }
        return true
    }

    /// A live frame's capture time on the monotonic clock: V4L2 stamps frames with it (in
    /// microseconds); a timestamp far from now is some other clock, and then arrival time serves.
    static func captureTime(pts: Int64, timeBase: Rational) -> Double {
        let now = monotonicSeconds()
        let stamped = timeBase.seconds(pts)
        return abs(now - stamped) < 10 ? stamped : now
    }
}
