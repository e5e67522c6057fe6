import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Segments a video: source → preprocess → inference → render → encode, with a mask branch
/// after inference and the live outputs (virtual camera, preview) fed keep-latest after render;
/// each stage a thread of its own, joined by bounded queues (backpressure,
/// bounded memory). The first error cancels every stage; what was written is finalised into a
/// playable file and the error is thrown once. `requestStop()` (Ctrl-C) stops reading and
/// drains what was decoded.
public final class SegmentationPipeline: Sendable {
    /// The job.
    public let configuration: SegmentConfiguration
    /// Frames, packets and pooled buffers alive in this pipeline's runs (zero once a run ends).
    public let census = ResourceCensus()
    let stop = StopFlag()
    private let progressState = Locked(SegmentProgress())
    /// The running run's stage threads, for the live busy times.
    private let running = Locked<StageThreads?>(nil)
    private let injectedFailure: InjectedFailure?
    private let models: ModelCache?
    /// Where the chosen person is, and a new choice for the next frame (the preview page's click).
    public let subject: SubjectControl

    /// Creates a pipeline; nothing is opened until `run`. With `models`, the model is borrowed
    /// from the cache (and returned after the run) instead of loaded and prepared anew.
    public convenience init(configuration: SegmentConfiguration, models: ModelCache? = nil) {
        self.init(configuration: configuration, injectedFailure: nil, models: models)
    }

    /// Tests only: a pipeline whose stage `injectedFailure.stage` fails on purpose.
    package init(configuration: SegmentConfiguration, injectedFailure: InjectedFailure?, models: ModelCache? = nil) {
        self.configuration = configuration
        self.injectedFailure = injectedFailure
        self.models = models
        subject = SubjectControl(choice: configuration.subject)
    }

    /// Asks the run to stop reading input; frames already decoded are still written. Safe from
    /// any thread, including a signal handler's queue.
    public func requestStop() {
        stop.raise()
    }

    /// A snapshot of the progress, for a display polling it.
    public var progress: SegmentProgress { progressState.current }

    /// Busy seconds per stage so far in the running run (or the last one), for live figures.
    public var stageBusySeconds: [StageName: Double] { running.current?.busySeconds ?? [:] }

    /// Runs the whole job and returns when every stage thread has ended.
    public func run() throws -> SegmentResult {
        let config = configuration
        var phases = PhaseTimes()
        try phases.time(RunPhase.check.rawValue) { try config.checkOutputs() }
        let planStarted = monotonicSeconds()
        let plan = try JobPlan(configuration: config, census: census, stop: stop, models: models)
        phases.add(RunPhase.open.rawValue, plan.openSeconds)
        phases.add(RunPhase.model.rawValue, monotonicSeconds() - planStarted - plan.openSeconds)
        defer { models?.checkin(plan.model) }
        let policy = config.live ? InputPolicy.live : InputPolicy.recorded
        try stop.throwIfRaised()
        let subjectSetup = try makeSubjectSetup(plan: plan)
        let outputs = try phases.time(RunPhase.outputs.rawValue) {
            try PipelineOutputs(plan: plan, configuration: config, policy: policy, stop: stop)
        }
        progressState.withLock { $0.framesExpected = config.expectedFrames(estimate: plan.source.estimatedFrameCount) }

        let threads = StageThreads(injectedFailure: injectedFailure)
        running.withLock { $0 = threads }
        let completion = FrameCompletion(branches: outputs.branchCount, progress: progressState, observer: config.observer)
        let virtualCameraSkipped = Locked(0)
        let source = launchStages(plan: plan, subject: subjectSetup, outputs: outputs, policy: policy, threads: threads,
                                  completion: completion, virtualCameraSkipped: virtualCameraSkipped)
        let startupSeconds = secondsSinceProcessStart()
        let cpuAtStart = processCPUSeconds()
        let failure = threads.wait()
        let runCPUSeconds = processCPUSeconds() - cpuAtStart
        let seconds = monotonicSeconds() - completion.started
        phases.add(RunPhase.frames.rawValue, seconds)
        if failure == nil && source.framesDecoded == 0 {
            // Nothing decoded is not a result: leave nothing behind and say why.
            outputs.discard()
            throw stop.isRaised ? VideoSegError.stopped : VideoSegError.notAVideo(path: config.input, reason: "no video frame could be decoded")
        }
        try outputs.finish(after: failure, phases: &phases)
        progressState.withLock { $0.seconds = seconds }
        var result = SegmentResult(plan: plan, outputs: outputs, source: source, progress: progressState.current, seconds: seconds,
                                   interrupted: stop.isRaised, stageSeconds: threads.busySeconds, output: config.output,
                                   maskDirectory: config.masks?.directory, virtualCameraSkipped: virtualCameraSkipped.current)
        result.startupSeconds = startupSeconds
        result.runCPUSeconds = runCPUSeconds
        result.stageTimings = Dictionary(uniqueKeysWithValues: threads.stageTimings.map { ($0.key.rawValue, $0.value) })
        result.phases = phases
        if subjectSetup.choice.choosesOne || subject.status.losses > 0 {
            result.warnings += subject.warnings
            result.subject = subject.status
        }
        return result
    }

    /// Starts every stage: the source, the model's, the video branch's and the masks'; returns
    /// the source stage, for its counts once the threads have ended.
    private func launchStages(plan: JobPlan, subject: SubjectSetup, outputs: PipelineOutputs, policy: InputPolicy, threads: StageThreads,
                              completion: FrameCompletion, virtualCameraSkipped: Locked<Int>) -> SourceStage
    {
        let config = configuration
        let depth = config.queueDepth
        let videoBranch = launchVideoBranch(plan: plan, outputs: outputs, threads: threads, completion: completion, depth: depth,
                                            virtualCameraSkipped: virtualCameraSkipped)
        var maskBranch: Outlet<SegmentedFrame>?
        if let writer = outputs.masks {
            let toMasks: StageQueue<SegmentedFrame> = threads.queue(capacity: depth)
            threads.launch(MaskStage(writer: writer), from: toMasks, to: .end(completion))
            maskBranch = .queue(toMasks)
        }
        let sourceOutlet = launchModelStages(plan: plan, subject: subject, policy: policy, threads: threads, depth: depth,
                                             to: Outlet.branches(video: videoBranch, masks: maskBranch))
        let source = SourceStage(source: plan.source, policy: policy, maxFrames: config.maxFrames, duration: config.duration,
                                 stop: stop, progress: progressState, injectedFailure: injectedFailure)
        threads.launch(.source, closing: sourceOutlet.close) {
            try source.run(into: sourceOutlet) { threads.addBusy(.source, since: $0) }
        }
        return source
    }

    /// Starts preprocessing, the forward pass and the scores: fused on one thread behind a
    /// one-frame slot for live input (the newest frame wins), or each on its own thread behind a
    /// queue for recorded input; returns where the source hands frames on.
    private func launchModelStages(plan: JobPlan, subject: SubjectSetup, policy: InputPolicy, threads: StageThreads, depth: Int,
                                   to afterInference: Outlet<SegmentedFrame>) -> Outlet<DecodedFrame>
    {
        let preprocess = PreprocessStage(preprocessor: plan.makePreprocessor(), census: census)
        let (inference, scores) = InferenceStage.withScores(plan: plan, census: census, subject: subject)
        if policy.keepsOnlyLatestFrame {
            let slot: StageQueue<DecodedFrame> = threads.queue(capacity: 1)
            threads.launch(FusedStage(FusedStage(preprocess, then: inference), then: scores, name: .inference), from: slot, to: afterInference)
            return .keepLatest(slot) { [progressState] in progressState.withLock { $0.framesDropped += 1 } }
        } else {
            let toPreprocess: StageQueue<DecodedFrame> = threads.queue(capacity: depth), toInference: StageQueue<ModelInput> = threads.queue(capacity: depth)
            let toScores: StageQueue<ForwardedFrame> = threads.queue(capacity: depth)
            threads.launch(preprocess, from: toPreprocess, to: .queue(toInference))
            if inference.batchSize > 1 {
                threads.launch(batching: inference, from: toInference, to: .queue(toScores))
            } else {
                threads.launch(inference, from: toInference, to: .queue(toScores))
            }
            threads.launch(scores, from: toScores, to: afterInference)
            return .queue(toPreprocess)
        }
    }

    /// Whom the run keeps: a point chosen at a later time is first traced back to where that
    /// person appeared.
    private func makeSubjectSetup(plan: JobPlan) throws -> SubjectSetup {
        let config = configuration
        let choice = try SubjectSurvey.resolve(config.subject, plan: plan, source: {
            try MediaSource(path: config.input, formatName: config.inputFormat, options: config.inputOptions, stop: stop)
        }, stop: stop)
        return SubjectSetup(choice: choice, loss: config.subjectLoss, control: subject, followsClicks: config.observer != nil)
    }

    /// Starts the video branch's stages (render, then the encoder and the live outputs) when the
    /// job draws frames; returns where the scores stage hands them on.
    private func launchVideoBranch(plan: JobPlan, outputs: PipelineOutputs, threads: StageThreads, completion: FrameCompletion,
                                   depth: Int, virtualCameraSkipped: Locked<Int>) -> Outlet<SegmentedFrame>?
    {
        guard let target = outputs.renderTarget else { return nil }
        let toRender: StageQueue<SegmentedFrame> = threads.queue(capacity: depth)
        var afterRender: Outlet<RenderedFrame> = .end(completion)
        if let sink = outputs.sink {
            let toEncode: StageQueue<RenderedFrame> = threads.queue(capacity: depth)
            threads.launch(EncodeStage(sink: sink), from: toEncode, to: .end(completion))
            afterRender = .queue(toEncode)
        }
        // The live outputs: one slot each, a newer frame replacing one not yet taken, so a
        // slow reader of the device or a slow JPEG encode never holds the video back.
        var taps: [Outlet<RenderedFrame>] = []
        if let camera = outputs.virtualCamera {
            let slot: StageQueue<RenderedFrame> = threads.queue(capacity: 1)
            threads.launch(VirtualCameraStage(camera: camera), from: slot, to: .discard)
            taps.append(.keepLatest(slot) { virtualCameraSkipped.withLock { $0 += 1 } })
        }
        if let observer = configuration.observer {
            let slot: StageQueue<RenderedFrame> = threads.queue(capacity: 1)
            threads.launch(PreviewStage(observer: observer, target: target), from: slot, to: .discard)
            taps.append(Outlet.keepLatest(slot) {}.gated { observer.wantsPictures })
        }
        threads.launch(RenderStage(plan: plan, target: target, background: outputs.background, census: census), from: toRender,
                       to: .tapped(afterRender, taps: taps))
        return .queue(toRender)
    }
}
