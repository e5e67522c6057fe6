import ArgumentParser
import Foundation
import VideoSeg

/// `videoseg segment`: a recorded video in, an annotated video out.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment a video file and write an annotated video.")

    enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, none
    }

    @Argument(help: "Any video file FFmpeg reads.")
    var input: String

    @Option(name: [.short, .long], help: ArgumentHelp("Annotated video to write; the extension picks the container. Default: <input-stem>.segmented.mp4 in the current folder.", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Replace an existing output (and VideoSeg's files in a non-empty --masks folder).")
    var overwrite = false

    @Option(name: .long, help: ArgumentHelp("Also write one class-index mask per frame into this folder, with labels.json and manifest.jsonl.", valueName: "dir"))
    var masks: String?

    @Option(name: .long, help: "Mask files: png (palette PNG per frame), npy (NumPy uint8 per frame), video (one lossless FFV1 masks.mkv).")
    var maskFormat: MaskExportSettings.Format = .png

    @Option(name: .long, help: "Mask size: source (upright source size, like the overlay) or model (the model's input size, not rescaled).")
    var maskSize: MaskExportSettings.Size = .source

    @Flag(name: .long, help: "Write masks only: no annotated video, no encoder.")
    var noVideo = false

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "libtorch intra-op threads (default: cores − 1, at least 1).")
    var threads: Int = SegmentConfiguration.defaultThreads

    @Option(name: .long, help: "Weight of the class colours, 0 to 1.")
    var alpha: Double = 0.5

    @Option(name: .long, help: ArgumentHelp("Only tint these classes, by name or id, comma-separated (e.g. person,dog).", valueName: "names"))
    var classes: String?

    @Option(name: .long, help: "blend: colours over the picture; mask: colours on black.")
    var style: OverlayStyle.Mode = .blend

    @Option(name: .long, help: ArgumentHelp("Video encoder (libx264, libvpx-vp9, ffv1, ...). Default: H.264, VP9 for .webm.", valueName: "name"))
    var codec: String?

    @Option(name: .long, help: "Constant rate factor for encoders that have one.")
    var crf: Int = 23

    @Option(name: .long, help: "Encoder speed preset for encoders that have one.")
    var preset: String = "veryfast"

    @Flag(name: .long, help: "Leave the audio out.")
    var noAudio = false

    @Option(name: .long, help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(name: .long, help: "Slots in each queue between stages.")
    var queueDepth: Int = 4

    @Option(name: .long, help: "auto: a bar when stderr is a terminal; bar: always; none.")
    var progress: ProgressMode = .auto

    @Option(name: .long, help: ArgumentHelp("Write run statistics (frames, seconds, fps, per-stage time) as JSON.", valueName: "file"))
    var statsJson: String?

    @Flag(name: [.short, .long], help: "Show FFmpeg's own warnings and every input warning.")
    var verbose = false

    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        guard queueDepth > 0 else { throw ValidationError("--queue-depth must be at least 1") }
        if let maxFrames, maxFrames <= 0 { throw ValidationError("--max-frames must be at least 1") }
        if noVideo && masks == nil { throw ValidationError("--no-video needs --masks DIR: there would be nothing to write") }
        if noVideo && output != nil { throw ValidationError("--no-video and --output contradict each other") }
    }

    func run() throws {
        // A full disk under RLIMIT_FSIZE must be an error we report, not a signal that kills us.
        signal(SIGXFSZ, SIG_IGN)
        LibraryLog.configure(verbose: verbose)
        do {
            let status = try segment()
            if status != 0 { throw ExitCode(status) }
        } catch {
            throw ExitStatus.report(error)
        }
    }

    private func segment() throws -> Int32 {
        let outputPath: String? = noVideo ? nil : (output ?? SegmentCommand.defaultOutput(for: input))
        var configuration = SegmentConfiguration(input: input, output: outputPath, modelPath: modelOptions.model)
        configuration.overwrite = overwrite
        configuration.masks = masks.map { MaskExportSettings(directory: $0, format: maskFormat, size: maskSize, overwrite: overwrite) }
        configuration.metadataOverrides = try modelOptions.overrides()
        configuration.inputSize = try modelOptions.parsedInputSize()
        configuration.style = OverlayStyle(mode: style, alpha: alpha)
        configuration.classNames = classes.map { $0.split(separator: ",").map(String.init) }
        configuration.encoder = EncoderSettings(codec: codec, crf: crf, preset: preset)
        configuration.includeAudio = !noAudio
        configuration.maxFrames = maxFrames
        configuration.queueDepth = queueDepth
        configuration.threads = threads

        let pipeline = SegmentationPipeline(configuration: configuration)
        let signals = StopSignals { pipeline.requestStop() }
        let showProgress = !quiet && (progress == .bar || (progress == .auto && Terminal.stderrIsTerminal))
        let reporter = showProgress ? ProgressReporter(pipeline: pipeline, redraw: Terminal.stderrIsTerminal) : nil
        reporter?.start()
        let result: SegmentResult
        do {
            result = try pipeline.run()
            reporter?.stop()
        } catch {
            reporter?.stop()
            throw error
        }
        withExtendedLifetime(signals) {}

        if !quiet {
            let shown = verbose ? result.warnings : Array(result.warnings.prefix(3))
            for warning in shown { Terminal.error("warning: \(input): \(warning)") }
            if result.warnings.count > shown.count {
                Terminal.error("warning: \(input): \(result.warnings.count - shown.count) more (see -v)")
            }
            let stopped = result.interrupted ? " (stopped early)" : ""
            let destinations = [result.output, result.maskDirectory.map { "masks in \($0)" }].compactMap { $0 }
            Terminal.raw(String(format: "videoseg: %d frames in %.2f s (%.1f fps) -> %@%@\n", max(result.framesWritten, result.masksWritten),
                                result.seconds, result.framesPerSecond, destinations.joined(separator: ", "), stopped))
        }
        if let statsJson { try writeStats(result, to: statsJson) }
        if result.interrupted { return ExitStatus.interrupted }
        if result.inputDamaged { return ExitStatus.inputDamaged }
        return 0
    }

    /// `<input-stem>.segmented.mp4` in the current folder.
    static func defaultOutput(for input: String) -> String {
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        return "\(stem).segmented.mp4"
    }

    private func writeStats(_ result: SegmentResult, to path: String) throws {
        let stats: [String: Any] = [
            "input": input, "output": result.output ?? NSNull(), "frames": result.framesWritten, "frames_decoded": result.framesDecoded,
            "masks": result.masksWritten, "mask_directory": result.maskDirectory ?? NSNull(), "encoder": result.encoder ?? NSNull(),
            "seconds": result.seconds, "fps": result.framesPerSecond, "interrupted": result.interrupted,
            "input_damaged": result.inputDamaged, "warnings": result.warnings,
            "model": result.modelPath, "model_optimization": result.modelOptimization, "model_input_size": [result.modelInputWidth, result.modelInputHeight],
            "stage_seconds": result.stageSeconds,
        ]
        let data = try JSONSerialization.data(withJSONObject: stats, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw VideoSegError.outputNotWritable(path: path, reason: "cannot write the statistics file")
        }
    }
}

extension OverlayStyle.Mode: ExpressibleByArgument {}
extension MaskExportSettings.Format: ExpressibleByArgument {}
extension MaskExportSettings.Size: ExpressibleByArgument {}
