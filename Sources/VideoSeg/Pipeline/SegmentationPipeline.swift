import CFFmpeg
import Foundation

/// Segments a recorded video: source → preprocess → inference → render → sink, each stage a
/// thread of its own, joined by bounded queues (backpressure, bounded memory). The first error
/// cancels every stage; what was written is finalised into a playable file and the error is
/// thrown once. `requestStop()` (Ctrl-C) stops reading and drains what was decoded.
public final class SegmentationPipeline: @unchecked Sendable {
    // @unchecked: mutable state is in `Locked` boxes; stage objects are owned by their threads.
    public let configuration: SegmentConfiguration
    private let stopRequested = Locked(false)
    private let failure = Locked<Error?>(nil)
    private let progressState = Locked(SegmentProgress())
    private let stageTimes = Locked<[String: Double]>([:])
    private var queues: [BoundedQueue<PipelineItem>] = []

    /// Creates a pipeline; nothing is opened until `run`.
    public init(configuration: SegmentConfiguration) {
        self.configuration = configuration
    }

    /// Asks the run to stop reading input; frames already decoded are still written. Safe from
    /// any thread, including a signal handler's queue.
    public func requestStop() {
        stopRequested.withLock { $0 = true }
    }

    /// A snapshot of the progress, for a display polling it.
    public var progress: SegmentProgress { progressState.current }

    /// Runs the whole job and returns when every stage thread has ended.
    public func run() throws -> SegmentResult {
        let config = configuration
        guard config.output != nil || config.masks != nil else {
            throw VideoSegError.invalidOption("nothing to write: give an output video, masks, or both")
        }
        if let output = config.output {
            try OutputPolicy.check(output: output, input: config.input, overwrite: config.overwrite)
        }
        let source = try MediaSource(path: config.input, formatName: config.inputFormat, options: config.inputOptions, live: config.live)
        let upright = source.orientation.uprightSize(width: source.width, height: source.height)
        let modelPath = try config.modelPath
            ?? DefaultModels.path(named: DefaultModels.name(forUprightWidth: upright.width, height: upright.height))
        let model = try SegmentationModel(path: modelPath, overrides: config.metadataOverrides)
        model.threads = config.threads
        let modelSize = try SegmentationPipeline.modelInputSize(model: model, requested: config.inputSize, uprightWidth: upright.width, uprightHeight: upright.height)
        try model.prepare(width: modelSize.width, height: modelSize.height, optimize: config.optimizeModel)
        let tinted = try SegmentationPipeline.resolveClasses(config.classNames, labels: model.labels, modelPath: model.path)
        var style = config.style
        style.classes = tinted
        let colors = ColorMap.colors(count: model.labels.count, custom: model.metadata.colors)

        let preprocessor = Preprocessor(width: modelSize.width, height: modelSize.height, orientation: source.orientation,
                                        mean: model.metadata.mean ?? [0, 0, 0], std: model.metadata.std ?? [1, 1, 1])
        let tensorPool = BufferPool<Float>(count: preprocessor.tensorCount)
        let classMapPool = BufferPool<UInt8>(count: model.classMapCount)
        let mapWidth = model.outputShape[3], mapHeight = model.outputShape[2]

        let preprocess: @Sendable (VideoFrameBox) throws -> Void = { box in
            let tensor = tensorPool.obtain()
            box.tensor = tensor
            try preprocessor.process(box.decoded!, into: tensor.baseAddress!)
        }
        let infer: @Sendable (VideoFrameBox) throws -> Void = { box in
            let classMap = classMapPool.obtain()
            box.classMap = classMap
            try model.segment(box.tensor!.baseAddress!, into: classMap)
            box.releaseTensor()
        }
        // Live input: inference takes the newest frame straight from the keep-latest slot, so a
        // frame waits at most one frame interval before inference starts on it.
        var stages: [Stage] = config.live
            ? [Stage(name: "inference") { box in
                try preprocess(box)
                try infer(box)
            }]
            : [Stage(name: "preprocess", video: preprocess), Stage(name: "inference", video: infer)]

        var sink: VideoSink?
        if let output = config.output {
            let format = SegmentationPipeline.videoFormat(of: source)
            let videoSink = try VideoSink(path: output, format: format, settings: config.encoder,
                                          audio: config.includeAudio && !config.live ? source.audioStream : nil, live: config.live)
            sink = videoSink
            let renderer = FrameRenderer(sink: videoSink, width: format.width, height: format.height, orientation: source.orientation,
                                         mapWidth: mapWidth, mapHeight: mapHeight, style: style, colors: colors)
            let renderedFrames = RenderedFramePool()
            stages.append(Stage(name: "render") { box in
                let frame = renderedFrames.obtain()
                box.rendered = frame
                box.renderedPool = renderedFrames
                try renderer.render(box.decoded!, classMap: box.classMap!.baseAddress!, into: frame)
                av_frame_free(&box.decoded)
            })
            stages.append(Stage(name: "encode") { box in
                self.noteLatency(box)
                try videoSink.write(frame: box.rendered!)
                if let rendered = box.rendered { renderedFrames.recycle(rendered) }
                box.rendered = nil
            } audio: { box in
                try videoSink.write(audio: box.packet!)
            })
        }

        var maskWriter: MaskWriter?
        if let masks = config.masks {
            let writer: MaskWriter
            do {
                writer = try MaskWriter(
                    settings: masks, labels: model.labels, colors: colors, mapWidth: mapWidth, mapHeight: mapHeight,
                    sourceWidth: upright.width, sourceHeight: upright.height, timeBase: source.timeBase, frameRate: source.frameRate,
                    recordsCaptureFrame: config.live)
            } catch {
                sink?.abandon()
                throw error
            }
            maskWriter = writer
            let measuresLatency = sink == nil
            stages.append(Stage(name: "masks") { box in
                if measuresLatency { self.noteLatency(box) }
                try writer.write(index: box.index, pts: box.pts, classMap: UnsafePointer(box.classMap!.baseAddress!))
            })
        }

        var expected = source.estimatedFrameCount
        if let limit = config.maxFrames { expected = min(expected ?? limit, limit) }
        progressState.withLock { $0.framesExpected = expected }

        let depth = max(1, config.queueDepth)
        // Live: one slot before inference, replaced by each newer frame (keep-latest).
        queues = stages.enumerated().map { index, _ in BoundedQueue<PipelineItem>(capacity: config.live && index == 0 ? 1 : depth) }
        let start = DispatchTime.now()
        let framesDecoded = Locked(0)
        let sourceWarnings = Locked<[String]>([])
        let framesFinished = Locked(0)

        let group = DispatchGroup()
        let firstQueue = queues[0]
        startStage("source", group: group, output: firstQueue) {
            let count = try self.runSource(source, into: firstQueue, tensorPool: tensorPool, classMapPool: classMapPool)
            framesDecoded.withLock { $0 = count }
            sourceWarnings.withLock { $0 = source.warnings }
        }
        for (position, stage) in stages.enumerated() {
            let input = queues[position]
            let output = position + 1 < queues.count ? queues[position + 1] : nil
            let isLast = output == nil
            startStage(stage.name, group: group, output: output) {
                try self.run(stage, from: input, to: output) {
                    guard isLast else { return }
                    framesFinished.withLock { $0 += 1 }
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                    self.progressState.withLock {
                        $0.framesDone += 1
                        $0.seconds = elapsed
                    }
                }
            }
        }
        group.wait()

        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let warnings = sourceWarnings.current + (sink?.warnings ?? [])
        let finalProgress = progressState.current
        if let error = failure.current {
            // Keep what was written, playable, unless the output itself is what failed.
            let outputFailed: Bool
            if case VideoSegError.writeFailed = error { outputFailed = true } else { outputFailed = false }
            if let sink {
                if !outputFailed && sink.framesWritten > 0 { try? sink.finish() } else { sink.abandon() }
            }
            maskWriter?.abandon()
            throw error
        }
        do {
            try sink?.finish()
        } catch {
            maskWriter?.abandon()
            throw error
        }
        try maskWriter?.finish()
        progressState.withLock { $0.seconds = seconds }
        return SegmentResult(
            framesDecoded: framesDecoded.current, framesWritten: sink?.framesWritten ?? 0, masksWritten: maskWriter?.masksWritten ?? 0,
            seconds: seconds, output: config.output, maskDirectory: config.masks?.directory, encoder: sink?.encoderName,
            interrupted: stopRequested.current, warnings: warnings, inputDamaged: !sourceWarnings.current.isEmpty,
            framesDropped: finalProgress.framesDropped, meanLatency: finalProgress.meanLatency, maxLatency: finalProgress.maxLatency,
            stageSeconds: stageTimes.current, modelPath: modelPath, modelOptimization: model.optimization, modelInputWidth: modelSize.width, modelInputHeight: modelSize.height)
    }

    /// One stage after the source: what it does to each frame, and to each audio packet (by
    /// default, nothing: the packet passes on).
    struct Stage: Sendable {
        let name: String
        let video: @Sendable (VideoFrameBox) throws -> Void
        let audio: (@Sendable (AudioPacketBox) throws -> Void)?

        init(name: String, video: @escaping @Sendable (VideoFrameBox) throws -> Void,
             audio: (@Sendable (AudioPacketBox) throws -> Void)? = nil)
        {
            self.name = name
            self.video = video
            self.audio = audio
        }
    }

    // MARK: - Stages

    /// Starts a stage thread. Its first error is recorded and cancels every queue; its output
    /// queue is closed when it ends normally.
    private func startStage(_ name: String, group: DispatchGroup, output: BoundedQueue<PipelineItem>?, body: @escaping @Sendable () throws -> Void) {
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            do {
                try body()
                output?.close()
            } catch {
                fail(error)
            }
        }
        thread.name = "videoseg.\(name)"
        // libtorch's interpreter and FFmpeg's decoders can use more stack than a default thread has.
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func fail(_ error: Error) {
        let first = failure.withLock { current -> Bool in
            if current == nil {
                current = error
                return true
            }
            return false
        }
        if first {
            for queue in queues { queue.cancel() }
        }
    }

    private func addTime(_ stage: String, since start: DispatchTime) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        stageTimes.withLock { $0[stage, default: 0] += seconds }
    }

    /// Takes items, applies the stage to them and hands them on (the last stage drops them,
    /// which releases what they own). `finished` runs after each frame.
    private func run(_ stage: Stage, from input: BoundedQueue<PipelineItem>, to output: BoundedQueue<PipelineItem>?,
                     finished: () -> Void) throws
    {
        while let item = input.take() {
            let began = DispatchTime.now()
            switch item {
            case .video(let box):
                try stage.video(box)
                addTime(stage.name, since: began)
                finished()
            case .audio(let box):
                try stage.audio?(box)
            }
            if let output, !output.put(item) { return }
        }
    }

    /// Reads and decodes; holds audio packets back until a video frame at least as late has been
    /// sent, so that a stop can cut the audio where the video ends. Returns the frames decoded.
    private func runSource(_ source: MediaSource, into output: BoundedQueue<PipelineItem>, tensorPool: BufferPool<Float>,
                           classMapPool: BufferPool<UInt8>) throws -> Int
    {
        let videoTimeBase = source.timeBase
        let audioTimeBase = source.audioTimeBase ?? AVRational(num: 1, den: 1)
        var heldAudio: [AudioPacketBox] = []
        var count = 0
        var lastPts: Int64?
        var cut = false
        func audioTime(_ box: AudioPacketBox) -> Int64 {
            let packet = box.packet!.pointee
            return packet.pts != vs_nopts_value() ? packet.pts : packet.dts
        }
        func releaseAudio(upTo videoPts: Int64?, strictlyBefore: Bool) -> Bool {
            while let first = heldAudio.first {
                let time = audioTime(first)
                if let videoPts, time != vs_nopts_value() {
                    let order = av_compare_ts(time, audioTimeBase, videoPts, videoTimeBase)
                    if order > 0 || (strictlyBefore && order == 0) { break }
                }
                heldAudio.removeFirst()
                if !output.put(.audio(first)) { return false }
            }
            return true
        }
        let started = monotonicSeconds()
        var firstPts: Int64?
        while !stopRequested.current {
            if let limit = configuration.maxFrames, count >= limit {
                cut = true
                break
            }
            if let duration = configuration.duration, monotonicSeconds() - started >= duration {
                cut = true
                break
            }
            let began = DispatchTime.now()
            guard let event = try source.next() else { break }
            addTime("source", since: began)
            switch event {
            case .idle:
                // Nothing captured yet: a short nap, then look at the stop flag again.
                usleep(1000)
            case .audio(let packet):
                heldAudio.append(AudioPacketBox(packet))
                // A file whose audio runs on far past its video would otherwise hold it all.
                if heldAudio.count > 512, !output.put(.audio(heldAudio.removeFirst())) { return count }
            case .video(let frame):
                var captureTime: Double?
                if source.isLive {
                    captureTime = SegmentationPipeline.captureTime(pts: frame.pointee.pts, timeBase: videoTimeBase)
                    // The recording starts at zero whatever clock the device stamps with.
                    if firstPts == nil { firstPts = frame.pointee.pts }
                    frame.pointee.pts -= firstPts!
                }
                let box = VideoFrameBox(decoded: frame, index: count, tensorPool: tensorPool, classMapPool: classMapPool)
                box.captureTime = captureTime
                lastPts = frame.pointee.pts
                count += 1
                progressState.withLock { $0.framesCaptured = count }
                if source.isLive {
                    if output.putReplacingOldest(.video(box)) != nil {
                        progressState.withLock { $0.framesDropped += 1 }
                    }
                    continue
                }
                if !releaseAudio(upTo: lastPts, strictlyBefore: false) { return count }
                if !output.put(.video(box)) { return count }
            }
        }
        if stopRequested.current { cut = true }
        if cut {
            let end = lastPts.map { $0 + source.nominalFrameDuration }
            _ = releaseAudio(upTo: end ?? 0, strictlyBefore: true)
            heldAudio.removeAll()
        } else {
            _ = releaseAudio(upTo: nil, strictlyBefore: false)
        }
        return count
    }

    /// A live frame's capture time on the monotonic clock: V4L2 stamps frames with it (in
    /// microseconds); a timestamp far from now is some other clock, and then arrival time serves.
    static func captureTime(pts: Int64, timeBase: AVRational) -> Double {
        let now = monotonicSeconds()
        let stamped = Double(pts) * av_q2d(timeBase)
        return abs(now - stamped) < 10 ? stamped : now
    }

    private func noteLatency(_ box: VideoFrameBox) {
        guard let captured = box.captureTime else { return }
        let latency = monotonicSeconds() - captured
        progressState.withLock { progress in
            let count = Double(progress.framesDone)
            progress.latestLatency = latency
            progress.meanLatency = ((progress.meanLatency ?? 0) * count + latency) / (count + 1)
            progress.maxLatency = max(progress.maxLatency ?? 0, latency)
        }
    }

    // MARK: - Set-up helpers

    /// The model input size: the request, else the model's metadata, else 400 on the short side.
    /// A model that works only at its own size refuses any other.
    static func modelInputSize(model: SegmentationModel, requested: InputSize?, uprightWidth: Int, uprightHeight: Int) throws
        -> (width: Int, height: Int)
    {
        let metadataSize = model.metadata.inputSize ?? .shortSide(400)
        if let requested, model.metadata.fixedInputSize == true {
            let fixed = metadataSize.resolved(forUprightWidth: uprightWidth, height: uprightHeight)
            let asked = requested.resolved(forUprightWidth: uprightWidth, height: uprightHeight)
            if fixed != asked {
                throw VideoSegError.invalidOption(
                    "\(model.path): this model works only at \(fixed.width)x\(fixed.height); --input-size \(requested) is not possible")
            }
        }
        return (requested ?? metadataSize).resolved(forUprightWidth: uprightWidth, height: uprightHeight)
    }

    /// Class names → ids; unknown names are an error that lists the labels.
    static func resolveClasses(_ names: [String]?, labels: [String], modelPath: String) throws -> Set<Int>? {
        guard let names else { return nil }
        var ids = Set<Int>()
        for name in names {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if let id = labels.firstIndex(of: trimmed) {
                ids.insert(id)
            } else if let id = Int(trimmed), id >= 0, id < labels.count {
                ids.insert(id)
            } else {
                throw VideoSegError.invalidOption("--classes: \"\(trimmed)\" is not a class of \(modelPath) (classes: \(labels.joined(separator: ", ")))")
            }
        }
        return ids
    }

    static func videoFormat(of source: MediaSource) -> VideoFormat {
        let decoder = source.decoder.pointee
        var sar = source.videoStream.pointee.sample_aspect_ratio
        if sar.num == 0 { sar = decoder.sample_aspect_ratio }
        if sar.num == 0 { sar = AVRational(num: 1, den: 1) }
        var size = 0
        var matrix: [UInt8]?
        if let data = vs_stream_display_matrix(source.videoStream, &size), size > 0 {
            matrix = Array(UnsafeBufferPointer(start: data, count: size))
        }
        let fullRange = decoder.color_range == AVCOL_RANGE_JPEG || [AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P].contains(decoder.pix_fmt)
        return VideoFormat(
            width: source.width, height: source.height, timeBase: source.timeBase, frameRate: source.frameRate,
            sampleAspectRatio: sar, colorPrimaries: decoder.color_primaries, colorTransfer: decoder.color_trc,
            colorspace: decoder.colorspace, fullRange: fullRange, sourcePixelFormat: decoder.pix_fmt, displayMatrix: matrix)
    }
}

/// Seconds on the monotonic clock (the one V4L2 stamps frames with).
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A free list of output frames: their buffers are reused once the encoder lets go of them.
final class RenderedFramePool: @unchecked Sendable {
    // @unchecked: the free list is behind a lock.
    private let free = Locked<[UnsafeMutablePointer<AVFrame>]>([])

    func obtain() -> UnsafeMutablePointer<AVFrame> {
        free.withLock { $0.popLast() } ?? av_frame_alloc()!
    }

    func recycle(_ frame: UnsafeMutablePointer<AVFrame>) {
        free.withLock { $0.append(frame) }
    }

    deinit {
        for frame in free.current {
            var owned: UnsafeMutablePointer<AVFrame>? = frame
            av_frame_free(&owned)
        }
    }
}
