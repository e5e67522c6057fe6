/// Where a stage hands its values: the next stage's queue, a keep-latest slot, two branches at
/// once, or the end of a branch. `send` answers false once the run is cancelled.
struct Outlet<Payload>: Sendable {
    let send: @Sendable (StreamItem<Payload>) -> Bool
    /// Marks the end of the stream (the stage ended normally).
    let close: @Sendable () -> Void

    /// The queue in front of the next stage: waits while it is full (backpressure).
    static func queue(_ queue: StageQueue<Payload>) -> Outlet {
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
    /// The inference stage's two branches: the segmented frame (and the audio) to the video
    /// branch, the segmentation to the mask branch. Either may be absent.
    static func branches(video: Outlet<SegmentedFrame>?, masks: Outlet<Segmentation>?) -> Outlet {
        Outlet(send: { item in
            switch item {
            case .frame(let ticket, let segmented):
                let sentToVideo = video?.send(.frame(ticket, segmented)) ?? true
                let sentToMasks = masks?.send(.frame(ticket, segmented.segmentation)) ?? true
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

extension Outlet where Payload == Void {
    /// The end of a branch: each frame is reported to `completion`.
    static func end(_ completion: FrameCompletion) -> Outlet {
        Outlet(send: { item in
            if case .frame(let ticket, _) = item { completion.finished(ticket) }
            return true
        }, close: {})
    }
}
