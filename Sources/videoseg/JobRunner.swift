import ArgumentParser
import Foundation
import VideoSeg
import VideoSegPreview

/// Runs a configured job the way the CLI shows it: stop signals, progress or live status,
/// warnings, the summary line, statistics, and the exit code.
enum JobRunner {
    enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, none
    }

    /// `preview`: serve the preview page there while the job runs.
    static func run(_ configuration: SegmentConfiguration, options: JobOptions, progress: ProgressMode, inputName: String,
                    preview: PreviewAddress? = nil) throws
    {
        // A full disk under RLIMIT_FSIZE must be an error we report, not a signal that kills us.
        signal(SIGXFSZ, SIG_IGN)
        CommandLineLog.bootstrap(verbose: options.verbose)
        do {
            let status = try execute(configuration, options: options, progress: progress, inputName: inputName, preview: preview)
            if status != 0 { throw ExitCode(status) }
        } catch {
            throw ExitStatus.report(error)
        }
    }

    private static func execute(_ configuration: SegmentConfiguration, options: JobOptions, progress: ProgressMode, inputName: String,
                                preview: PreviewAddress?) throws -> Int32
    {
        // Refused before the run, not after minutes of work; checked again when written.
        if let path = options.statsJson { try OutputPolicy.check(output: path, input: configuration.input, overwrite: options.overwrite) }
        var configuration = configuration
        // The preview listens before any work starts: a port in use fails the job at once.
        let server = preview.map { PreviewServer(address: $0, input: inputName, live: configuration.live) }
        if let server {
            try server.start()
            configuration.observer = server
            if !options.quiet { Terminal.error("preview: \(server.url ?? "")") }
        }
        // However the run ends, the server stops with it (its streams end, its clients are let go).
        defer { server?.stop() }
        if options.verbose {
            let compute = try configuration.computePlan()
            let name = compute.device.name.map { " (\($0))" } ?? ""
            Terminal.error("device: \(compute.device)\(name), \(compute.reason); batch \(compute.batchSize), \(compute.precision)")
        }
        let pipeline = SegmentationPipeline(configuration: configuration)
        server?.attach(pipeline)
        let signals = StopSignals { pipeline.requestStop() }
        let reporter: ProgressReporter?
        if options.quiet {
            reporter = nil
        } else if configuration.live {
            reporter = ProgressReporter(pipeline: pipeline, style: .liveStatus)
        } else if progress == .bar || (progress == .auto && Terminal.stderrIsTerminal) {
            reporter = ProgressReporter(pipeline: pipeline, style: Terminal.stderrIsTerminal ? .bar : .lines)
        } else {
            reporter = nil
        }
        reporter?.start()
        let result: SegmentResult
        do {
            result = try pipeline.run()
            reporter?.stop()
            server?.stop()
        } catch {
            reporter?.stop()
            throw error
        }
        withExtendedLifetime(signals) {}

        if !options.quiet {
            let shown = options.verbose ? result.warnings : Array(result.warnings.prefix(3))
            for warning in shown { Terminal.error("warning: \(inputName): \(warning)") }
            if result.warnings.count > shown.count {
                Terminal.error("warning: \(inputName): \(result.warnings.count - shown.count) more (see -v)")
            }
            let stopped = result.interrupted ? " (stopped early)" : ""
            let destinations = [result.output, result.maskDirectory.map { "masks in \($0)" },
                                configuration.virtualCamera.map { "virtual camera \($0)" }].compactMap { $0 }
            var live = ""
            if configuration.live {
                live = String(format: ", %d dropped, latency mean %.0f ms, max %.0f ms", result.framesDropped,
                              (result.meanLatency ?? 0) * 1000, (result.maxLatency ?? 0) * 1000)
            }
            Terminal.raw(String(format: "videoseg: %d frames in %.2f s (%.1f fps)%@ -> %@%@\n", result.framesProcessed,
                                result.seconds, result.framesPerSecond, live, destinations.joined(separator: ", "), stopped))
        }
        if let path = options.statsJson {
            try writeStats(result, input: inputName, live: configuration.live, to: path, overwrite: options.overwrite)
        }
        if result.interrupted { return ExitStatus.interrupted }
        if result.inputDamaged { return ExitStatus.inputDamaged }
        return 0
    }

    /// Writes the statistics under the same policy as the video: an existing file only with
    /// `overwrite`, never a symlink, device or folder, and atomically (temporary file, rename).
    private static func writeStats(_ result: SegmentResult, input: String, live: Bool, to path: String, overwrite: Bool) throws {
        var stats: [String: Any] = [
            "input": input, "output": result.output ?? NSNull(), "frames": result.framesWritten, "frames_decoded": result.framesDecoded,
            "frames_processed": result.framesProcessed,
            "masks": result.masksWritten, "mask_directory": result.maskDirectory ?? NSNull(), "encoder": result.encoder ?? NSNull(),
            "seconds": result.seconds, "fps": result.framesPerSecond, "interrupted": result.interrupted,
            "input_damaged": result.inputDamaged, "warnings": result.warnings,
            "model": result.modelPath, "model_optimization": result.modelOptimization,
            "model_input_size": [result.modelInputWidth, result.modelInputHeight], "model_scores": result.modelScores,
            "stage_seconds": result.stageSeconds,
            "model_preparation": result.modelPreparation, "model_preparation_note": result.modelPreparationNote,
            "model_load_seconds": result.modelLoadSeconds,
            "model_prepare_seconds": result.modelPrepareSeconds, "startup_seconds": result.startupSeconds ?? NSNull(),
            "run_cpu_seconds": result.runCPUSeconds,
            "stage_timing": result.stageTimings.mapValues { timing in
                ["busy_seconds": timing.busySeconds, "cpu_seconds": timing.cpuSeconds, "waiting_for_input_seconds": timing.waitingForInput,
                 "waiting_for_output_seconds": timing.waitingForOutput, "thread_seconds": timing.lifetimeSeconds]
            },
            "device": result.device, "device_name": result.deviceName ?? NSNull(), "batch_size": result.batchSize,
            "precision": result.precision,
        ]
        if live {
            stats["frames_captured"] = result.framesDecoded
            stats["frames_dropped"] = result.framesDropped
            stats["latency_mean_seconds"] = result.meanLatency ?? NSNull()
            stats["latency_max_seconds"] = result.maxLatency ?? NSNull()
        }
        if result.virtualCameraFrames > 0 || result.virtualCameraSkipped > 0 {
            stats["virtual_camera_frames"] = result.virtualCameraFrames
            stats["virtual_camera_skipped"] = result.virtualCameraSkipped
        }
        let data = try JSONSerialization.data(withJSONObject: stats, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try OutputPolicy.writeAtomically(data, to: path, overwrite: overwrite)
    }
}
