import ArgumentParser
import Foundation
import VideoSeg

/// `videoseg camera`: a V4L2 camera in, live; an annotated recording (and/or masks) out.
struct CameraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camera",
        abstract: "Segment a live V4L2 camera, keeping latency bounded, and record the result.",
        discussion: """
            Frames that wait while a newer one arrives are dropped and counted; a status line each \
            second shows capture and processed fps, drops and latency. The recording holds the \
            processed frames with their capture times (from zero) and is written as fragmented MP4 \
            (or Matroska), so it plays even if the process is killed. Stops on Ctrl-C, SIGTERM or \
            --duration. Default output: camera-<date>-<time>.mp4 in the current folder. \
            With --virtual-camera, the processed frames also go to a V4L2 output device \
            (v4l2loopback) that video-call programs can pick, and nothing is recorded unless -o is given.
            """)

    @Argument(help: "The capture device.")
    var device: String = "/dev/video0"

    @OptionGroup var job: JobOptions

    @OptionGroup var preview: PreviewOptions

    @OptionGroup var virtualCamera: VirtualCameraOptions

    @Option(name: .long, help: ArgumentHelp("Capture size, e.g. 640x480 (default: the device's).", valueName: "WxH"))
    var videoSize: String?

    @Option(name: .long, help: "Capture frame rate (default: the device's).")
    var framerate: String?

    @Option(name: .long, help: ArgumentHelp("Capture format: mjpeg, yuyv422, ... (see --list-formats).", valueName: "format"))
    var inputFormat: String?

    @Option(name: .long, help: "Stop after this many seconds.")
    var duration: Double?

    @Flag(name: .long, help: "List the formats and sizes the device offers, and exit.")
    var listFormats = false

    func validate() throws {
        if let batch = job.deviceOptions.batchSize, batch > 1 {
            throw ValidationError("--batch-size \(batch): a camera runs one frame at a time (keep-latest); leave --batch-size out")
        }
    }

    func run() throws {
        if listFormats {
            try list()
            return
        }
        var configuration: SegmentConfiguration
        do {
            configuration = try job.configuration(input: device, defaultOutput: virtualCamera.defaultOutput(CameraCommand.defaultOutput()))
            virtualCamera.apply(to: &configuration)
            if let duration, duration <= 0 { throw VideoSegError.invalidOption("--duration must be positive") }
        } catch {
            throw ExitStatus.report(error)
        }
        configuration.live = true
        configuration.includeAudio = false
        configuration.inputFormat = "v4l2"
        configuration.inputOptions = options()
        configuration.duration = duration
        try JobRunner.run(configuration, options: job, progress: .none, inputName: device, preview: preview.address)
    }

    private func options() -> [String: String] {
        var options: [String: String] = [:]
        if let videoSize { options["video_size"] = videoSize }
        if let framerate { options["framerate"] = framerate }
        if let inputFormat { options["input_format"] = inputFormat }
        return options
    }

    private func list() throws {
        do {
            try CaptureDevice.listFormats(device)
        } catch {
            throw ExitStatus.report(error)
        }
    }

    static func defaultOutput() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "camera-\(formatter.string(from: Date())).mp4"
    }
}
