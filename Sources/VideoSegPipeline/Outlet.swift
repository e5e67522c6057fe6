import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Where a stage hands its values: the next stage's queue, a keep-latest slot, two branches at
/// once, or the end of a branch. `send` answers false once the run is cancelled.
struct Outlet<Payload>: Sendable {
    let send: @Sendable (StreamItem<Payload>) -> Bool
    /// Marks the end of the stream (the stage ended normally).
    package let close: @Sendable () -> Void

    /// The queue in front of the next stage: waits while it is full (backpressure).
    package static func queue(_ queue: StageQueue<Payload>) -> Outlet {
        Outlet(send: { queue.put($0) }, close: { queue.close() })
    }

    /// A one-slot queue where a newer frame replaces a waiting one (live input); `dropped` is
    /// called for each frame replaced. Never waits.
    static func keepLatest(_ queue: StageQueue<Payload>, dropped: @escaping @Sendable () -> Void) -> Outlet {
        Outlet(send: { item in
            guard queue.putReplacingOldest(item) != nil else { return true }
            if queue.isCancelled { return false }
            dropped()
            return true
        }, close: { queue.close() })
    }
}

extension Outlet where Payload == SegmentedFrame {
    /// The scores stage's two branches: the segmented frame (and the audio) to the video
    /// branch, the segmented frame to the mask branch (the frame guides refined masks). Either may be absent.
    static func branches(video: Outlet<SegmentedFrame>?, masks: Outlet<SegmentedFrame>?) -> Outlet {
        Outlet(send: { item in
            switch item {
            case .frame(let ticket, let segmented):
                let sentToVideo = video?.send(.frame(ticket, segmented)) ?? true
                let sentToMasks = masks?.send(.frame(ticket, segmented)) ?? true
                return sentToVideo && sentToMasks
            case .audio(let packet):
                return video?.send(.audio(packet)) ?? true
            }
        }, close: {
            video?.close()
            masks?.close()
        })
    }
}

extension Outlet {
    /// The end of a branch: each frame is reported to `completion` (and whatever the frame still
    /// holds is released).
    package static func end(_ completion: FrameCompletion) -> Outlet {
        Outlet(send: { item in
            if case .frame(let ticket, _) = item { completion.finished(ticket) }
            return true
        }, close: {})
    }

    /// The end of a branch whose frames count for nothing (a live output fed keep-latest).
    static var discard: Outlet {
        Outlet(send: { _ in true }, close: {})
    }

    /// `next`, and beside it the live outputs `taps` (keep-latest slots, which never wait): each
    /// frame goes to the taps first, then on to `next`; audio goes only to `next`.
    static func tapped(_ next: Outlet, taps: [Outlet]) -> Outlet {
        guard !taps.isEmpty else { return next }
        return Outlet(send: { item in
            if case .frame(let ticket, let payload) = item {
                for tap in taps where !tap.send(.frame(ticket, payload)) { return false }
            }
            return next.send(item)
        }, close: {
            for tap in taps { tap.close() }
            next.close()
        })
    }

    /// This outlet, but frames are sent only while `isOpen` says so (a preview nobody watches
    /// gets nothing, so nothing is encoded for it).
    func gated(_ isOpen: @escaping @Sendable () -> Bool) -> Outlet {
        let send = self.send
        return Outlet(send: { item in isOpen() ? send(item) : true }, close: close)
    }
}
