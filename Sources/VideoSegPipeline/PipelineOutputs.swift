import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// What a run writes: the annotated video, the masks, the virtual camera, in any combination, and
/// what the rendered frames look like. Opened before any frame moves;
/// after the stage threads are joined, either finalised or, on failure, kept playable where
/// that makes sense and removed where it does not.
package final class PipelineOutputs: Sendable {
    let sink: VideoSink?
    package let masks: MaskWriter?
    /// The V4L2 output device the rendered frames go to as they are made.
    package let virtualCamera: VirtualCamera?
    /// What the render stage draws into (the sink's format, or the live outputs' one); nil when
    /// nothing is rendered.
    let renderTarget: RenderTarget?
    /// What `--style replace` draws behind the foreground, opened (so checked) before any frame.
    package let background: BackgroundPicture?

    /// Opens the outputs `configuration` asks for, for `plan`'s source and model; a raised `stop`
    /// ends the wait for a background that waits for its writer.
    package init(plan: JobPlan, configuration: SegmentConfiguration, policy: InputPolicy, stop: StopFlag? = nil) throws {
        var sink: VideoSink?
        var background: BackgroundPicture?
        // The device first: a refused device leaves no recording behind.
        let camera = try configuration.virtualCamera.map {
            try VirtualCamera(path: $0, width: plan.source.width, height: plan.source.height)
        }
        if let output = configuration.output {
            var settings = configuration.encoder
            settings.alpha = plan.style.needsAlpha
            do {
                sink = try VideoSink(path: output, copying: plan.source, settings: settings,
                                     copyAudio: configuration.includeAudio && policy.carriesAudio, writesInPlace: policy.writesInPlace)
            } catch {
                camera?.closeDevice()
                throw error
            }
        }
        let target = sink?.renderTarget
            ?? (configuration.rendersFrames ? RenderTarget.live(for: plan.source, name: configuration.virtualCamera ?? "preview") : nil)
        if plan.style.mode == .replace, let target {
            do {
                background = try PipelineOutputs.background(plan.style, target: target, stop: stop)
            } catch {
                sink?.abandon()
                camera?.closeDevice()
                throw error
            }
        }
        virtualCamera = camera
        renderTarget = target
        self.background = background
        if let settings = configuration.masks {
            do {
                let upright = plan.uprightSize
                let shape = plan.model.outputShape
                masks = try MaskWriter(
                    settings: settings, labels: plan.model.labels, colors: plan.colors, mapWidth: shape[3], mapHeight: shape[2],
                    sourceWidth: upright.width, sourceHeight: upright.height, timeBase: plan.source.timeBase,
                    frameRate: plan.source.nominalFrameRate, recordsCaptureFrame: policy.numbersMasksByProcessedFrame,
                    refineOn: configuration.style.edges == .refined ? plan.source.orientation : nil,
                    tinted: (0..<shape[1]).map { configuration.style.tints($0) })
            } catch {
                sink?.abandon()
                camera?.closeDevice()
                throw error
            }
        } else {
            masks = nil
        }
        self.sink = sink
    }

    private static func background(_ style: OverlayStyle, target: RenderTarget, stop: StopFlag?) throws -> BackgroundPicture {
        if let problem = style.problem { throw VideoSegError.invalidOption(problem) }
        guard let spec = style.background else { throw VideoSegError.invalidOption("a replaced background needs a picture or colour") }
        return try BackgroundPicture(spec, target: target, census: nil, stop: stop)
    }

    /// How many branch ends report each frame: the rendered frames' (after the encoder, or as
    /// they are handed to the live outputs) and the masks'.
    var branchCount: Int { (renderTarget == nil ? 0 : 1) + (masks == nil ? 0 : 1) }

    /// Removes everything the run had started to write (no frame was decoded).
    func discard() {
        virtualCamera?.closeDevice()
        sink?.abandon()
        masks?.discard()
    }

    /// Finalises everything, or after `error` keeps what was written playable (unless the
    /// output itself is what failed) and rethrows it. `phases` gets the time of the encoder's
    /// flush (`RunPhase.flush`) apart from the rest (`RunPhase.finish`).
    package func finish(after error: Error?, phases: inout PhaseTimes) throws {
        let started = monotonicSeconds()
        var flushSeconds = 0.0
        defer {
            phases.add(RunPhase.flush.rawValue, flushSeconds)
            phases.add(RunPhase.finish.rawValue, monotonicSeconds() - started - flushSeconds)
        }
        virtualCamera?.closeDevice()
        if let error {
            let outputFailed: Bool
            if case VideoSegError.writeFailed = error { outputFailed = true } else { outputFailed = false }
            if let sink {
                if !outputFailed && sink.framesWritten > 0 { try? sink.finish() } else { sink.abandon() }
            }
            masks?.abandon()
            throw error
        }
        do {
            if let sink {
                let flushStarted = monotonicSeconds()
                defer { flushSeconds = monotonicSeconds() - flushStarted }
                try sink.flush()
            }
            try sink?.finish()
        } catch {
            masks?.abandon()
            throw error
        }
        try masks?.finish()
    }
}
