import ArgumentParser
import Foundation
import VideoSeg

/// Options shared by `segment` and `camera`: what to write and how to draw it.
struct JobOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("Annotated video to write; the extension picks the container.", valueName: "file"))
    var output: String?

    @Flag(name: .long, help: "Replace an existing output and --stats-json file (and VideoSeg's files in a non-empty --masks folder).")
    var overwrite = false

    @Option(name: .long, help: ArgumentHelp("Also write one class-index mask per frame into this folder, with labels.json and manifest.jsonl.", valueName: "dir"))
    var masks: String?

    @Option(name: .long, help: "Mask files: png (palette PNG per frame), npy (NumPy uint8 per frame), video (one lossless FFV1 masks.mkv).")
    var maskFormat: MaskExportSettings.Format = .png

    @Option(name: .long, help: "Mask size: source (upright source size, scores interpolated like the overlay) or model (the model's output, not rescaled).")
    var maskSize: MaskExportSettings.Size = .source

    @Option(name: .long, help: "Mask pixels: classes (class ids) or probability (of the --classes, 0-255 gray or float16 NPY).")
    var maskValues: MaskExportSettings.Values = .classes

    @Flag(name: .long, help: "Write masks only: no annotated video, no encoder.")
    var noVideo = false

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "libtorch intra-op threads (default: cores − 1, at least 1).")
    var threads: Int = SegmentConfiguration.defaultThreads

    @OptionGroup var deviceOptions: DeviceOptions

    @Option(name: .long, help: "Weight of the class colours, 0 to 1.")
    var alpha: Double = 0.5

    @Option(name: .long, help: ArgumentHelp("Only tint these classes, by name or id, comma-separated (e.g. person,dog).", valueName: "names"))
    var classes: String?

    @Option(name: .long, help: "blend: colours over the picture; mask: colours on black; blur, pixelate or replace the background (see --apply-to); cutout: the foreground with alpha (.webm, .mov, .mkv, or PNG pictures with -o DIR/%06d.png); matte: the foreground white on black.")
    var style: OverlayStyle.Mode = .blend

    @Option(name: .long, help: ArgumentHelp("blur: the radius; pixelate: half the block size, in pixels (default: 2% of the short side).", valueName: "px"))
    var blurRadius: Int?

    @Option(name: .long, help: "What blur, pixelate and replace change: background, or foreground (the --classes: anonymise people).")
    var applyTo: OverlayStyle.Target = .background

    @Option(name: .long, help: ArgumentHelp("replace: a picture or video file (scaled to cover, centre-cropped, looped) or a colour such as #00B140.", valueName: "file|color"))
    var background: String?

    @Option(name: .long, help: "refined: the soft weight moved onto the picture's own edges (effects, cut-out, matte, probability masks); soft: weighed by the interpolated class probability, as PyTorch interpolates; hard: flat tint of the winning class.")
    var edges: OverlayStyle.Edges = .refined

    @Option(name: .long, help: ArgumentHelp(
        "Keep one person and make everyone else background: largest, center, X,Y (output pixels: the person there) or X,Y@T (there at T seconds), followed from frame to frame; all (default) keeps everybody. list or list@T prints the people found and exits.",
        valueName: "all|largest|center|X,Y[@T]|list[@T]"))
    var subject: String = "all"

    @Option(name: .long, help: "When the chosen person leaves the picture: keep-none (nobody is kept until one is chosen again) or repick (the --subject rule chooses again).")
    var subjectLost: SubjectLoss = .keepNone

    @Option(name: .long, help: ArgumentHelp("Temporal smoothing, 0 (off) to below 1: uncertain pixels keep this much of the previous frame.", valueName: "S"))
    var smooth: Double = SegmentConfiguration.defaultSmoothing

    @Option(name: .long, help: ArgumentHelp("Video encoder (libx264, libvpx-vp9, ffv1, ...). Default: H.264, VP9 for .webm.", valueName: "name"))
    var codec: String?

    @Option(name: .long, help: "Constant rate factor for encoders that have one.")
    var crf: Int = 23

    @Option(name: .long, help: "Encoder speed preset for encoders that have one.")
    var preset: String = "veryfast"

    @Option(name: .long, help: ArgumentHelp("Planar YUV format to encode, e.g. yuv420p10le to keep 10-bit video 10-bit (default: 8-bit).", valueName: "format"))
    var pixelFormat: String?

    @Option(name: .long, help: "Stop after this many frames.")
    var maxFrames: Int?

    @Option(name: .long, help: "Slots in each queue between stages.")
    var queueDepth: Int = 4

    @Option(name: .long, help: ArgumentHelp("Write run statistics (frames, seconds, fps, per-stage time) as JSON.", valueName: "file"))
    var statsJson: String?

    @Flag(name: [.short, .long], help: "Show FFmpeg's and libtorch's own warnings and every input warning.")
    var verbose = false

    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
        guard smooth >= 0 && smooth < 1 else { throw ValidationError("--smooth must be at least 0 and below 1") }
        if let blurRadius, !(1...500).contains(blurRadius) { throw ValidationError("--blur-radius must be between 1 and 500") }
        var chosenStyle = OverlayStyle(mode: style)
        chosenStyle.background = background
        if let problem = chosenStyle.problem { throw ValidationError(SettingFlags.text(problem)) }
        if let background, let problem = BackgroundSpec.problem(background) { throw ValidationError("--background \(problem)") }
        if let output, let problem = PictureSequencePattern.problem(inOutput: output) { throw ValidationError("--output \(output): \(problem)") }
        try ResourceLimits.checkThreads(threads)
        try ResourceLimits.checkQueueDepth(queueDepth)
        if let maxFrames, maxFrames <= 0 { throw ValidationError("--max-frames must be at least 1") }
        if noVideo && masks == nil { throw ValidationError("--no-video needs --masks DIR: there would be nothing to write") }
        if noVideo && output != nil { throw ValidationError("--no-video and --output contradict each other") }
        if let statsJson, let output, URL(fileURLWithPath: statsJson).standardizedFileURL == URL(fileURLWithPath: output).standardizedFileURL {
            throw ValidationError("--stats-json and --output name the same file")
        }
        _ = try subjectRequest()
        if let classes, JobOptions.classList(classes).isEmpty {
            throw ValidationError("--classes needs at least one class name or id (e.g. person,dog)")
        }
    }

    /// What `--subject` asks for: a person to keep, or the list of people at a time.
    enum SubjectRequest: Equatable {
        case keep(SubjectChoice)
        case list(fromSeconds: Double)
    }

    func subjectRequest() throws -> SubjectRequest {
        let text = subject.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "list" { return .list(fromSeconds: 0) }
        if text.hasPrefix("list@") {
            guard let seconds = Double(text.dropFirst(5)), seconds >= 0, seconds.isFinite else {
                throw ValidationError("--subject \(subject): the time after @ must be seconds, 0 or more")
            }
            return .list(fromSeconds: seconds)
        }
        do {
            return .keep(try SubjectChoice(parsing: subject))
        } catch {
            throw ValidationError(SettingFlags.text(error))
        }
    }

    /// The names in a `--classes` list, blanks left out.
    static func classList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The configuration for `input`, writing `defaultOutput` (nil: no video) unless told otherwise.
    func configuration(input: String, defaultOutput: String?) throws -> SegmentConfiguration {
        let outputPath: String? = noVideo ? nil : (output ?? defaultOutput)
        var configuration = SegmentConfiguration(input: input, output: outputPath, modelPath: modelOptions.model)
        configuration.overwrite = overwrite
        configuration.masks = masks.map {
            MaskExportSettings(directory: $0, format: maskFormat, size: maskSize, overwrite: overwrite, values: maskValues)
        }
        configuration.metadataOverrides = try modelOptions.overrides()
        configuration.inputSize = try modelOptions.parsedInputSize()
        configuration.graphPreparation = modelOptions.prepare
        configuration.style = OverlayStyle(mode: style, alpha: alpha, edges: edges)
        configuration.style.applyTo = applyTo
        configuration.style.blurRadius = blurRadius
        configuration.style.background = background
        configuration.smoothing = smooth
        if case .keep(let choice) = try subjectRequest() { configuration.subject = choice }
        configuration.subjectLoss = subjectLost
        configuration.classNames = classes.map(JobOptions.classList)
        configuration.encoder = EncoderSettings(codec: codec, crf: crf, preset: preset)
        // An error like --codec's (exit 1, one line), before libx264 prints its own to stderr.
        if let outputPath, let problem = configuration.encoder.presetProblem(forOutput: outputPath) {
            throw VideoSegError.invalidOption(problem)
        }
        configuration.encoder.pixelFormat = pixelFormat
        configuration.maxFrames = maxFrames
        configuration.queueDepth = queueDepth
        configuration.threads = threads
        deviceOptions.apply(to: &configuration)
        return configuration
    }
}

extension OverlayStyle.Mode: ExpressibleByArgument {}
extension MaskExportSettings.Format: ExpressibleByArgument {}
extension MaskExportSettings.Size: ExpressibleByArgument {}
extension MaskExportSettings.Values: ExpressibleByArgument {}
extension OverlayStyle.Edges: ExpressibleByArgument {}
extension OverlayStyle.Target: ExpressibleByArgument {}
extension SubjectLoss: ExpressibleByArgument {}
