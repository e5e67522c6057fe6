import ArgumentParser
import Foundation
import VideoSeg

/// `videoseg segment`: a recorded video in, an annotated video (and/or masks) out.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment a video file and write an annotated video and/or masks.",
        discussion: """
            Default output: <input-stem>.segmented.mp4 in the current folder. With --live and \
            --virtual-camera, the processed frames go to a V4L2 output device (v4l2loopback), as \
            `camera` sends them, and nothing is recorded unless -o is given.
            """)

    @Argument(help: "Any video file FFmpeg reads (or, with --live, any FFmpeg input URL).")
    var input: String

    @OptionGroup var job: JobOptions

    @OptionGroup var preview: PreviewOptions

    @OptionGroup var virtualCamera: VirtualCameraOptions

    @Flag(name: .long, help: "Leave the audio out.")
    var noAudio = false

    @Flag(name: .long, help: "Treat the input as live (a stream or pipe): drop stale frames, keep latency bounded, record in place.")
    var live = false

    @Option(name: .long, help: "auto: a bar when stderr is a terminal; bar: always (a line a second into a pipe); none.")
    var progress: JobRunner.ProgressMode = .auto

    func validate() throws {
        if let problem = SegmentConfiguration.batchProblem(job.deviceOptions.batchSize, live: live) {
            throw ValidationError(SettingFlags.text(problem))
        }
        try virtualCamera.validate(live: live)
    }

    func run() throws {
        var configuration: SegmentConfiguration
        do {
            configuration = try job.configuration(input: input, defaultOutput: virtualCamera.defaultOutput(SegmentCommand.defaultOutput(for: input)))
            virtualCamera.apply(to: &configuration)
        } catch {
            throw ExitStatus.report(error)
        }
        configuration.includeAudio = !noAudio
        configuration.live = live
        try JobRunner.run(configuration, options: job, progress: progress, inputName: input, preview: preview.address)
    }

    /// `<input-stem>.segmented.mp4` in the current folder.
    static func defaultOutput(for input: String) -> String {
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        return "\(stem).segmented.mp4"
    }
}
