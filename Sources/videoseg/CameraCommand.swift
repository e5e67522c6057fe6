import ArgumentParser
import CFFmpeg
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
            --duration. Default output: camera-<date>-<time>.mp4 in the current folder.
            """)

    @Argument(help: "The capture device.")
    var device: String = "/dev/video0"

    @OptionGroup var job: JobOptions

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

    func run() throws {
        if listFormats {
            try list()
            return
        }
        var configuration: SegmentConfiguration
        do {
            configuration = try job.configuration(input: device, defaultOutput: CameraCommand.defaultOutput())
            if let duration, duration <= 0 { throw VideoSegError.invalidOption("--duration must be positive") }
        } catch {
            throw ExitStatus.report(error)
        }
        configuration.live = true
        configuration.includeAudio = false
        configuration.inputFormat = "v4l2"
        configuration.inputOptions = options()
        configuration.duration = duration
        try JobRunner.run(configuration, options: job, progress: .none, inputName: device)
    }

    private func options() -> [String: String] {
        var options: [String: String] = [:]
        if let videoSize { options["video_size"] = videoSize }
        if let framerate { options["framerate"] = framerate }
        if let inputFormat { options["input_format"] = inputFormat }
        return options
    }

    /// FFmpeg's v4l2 input prints the list itself (at info level) and then refuses to open.
    private func list() throws {
        av_log_set_level(AV_LOG_INFO)
        avdevice_register_all()
        var context: UnsafeMutablePointer<AVFormatContext>?
        var dictionary: OpaquePointer?
        av_dict_set(&dictionary, "list_formats", "all", 0)
        defer { av_dict_free(&dictionary) }
        let status = avformat_open_input(&context, device, av_find_input_format("v4l2"), &dictionary)
        if status >= 0 {
            avformat_close_input(&context)
        } else if status != AVERROR_EXIT_VALUE {
            throw ExitStatus.report(VideoSegError.deviceUnavailable(path: device, reason: ffmpegMessage(status)))
        }
    }

    static func defaultOutput() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "camera-\(formatter.string(from: Date())).mp4"
    }
}

/// AVERROR_EXIT, which v4l2's list_formats ends with ("Immediate exit requested").
private let AVERROR_EXIT_VALUE: Int32 = -(Int32(UInt8(ascii: "E")) | Int32(UInt8(ascii: "X")) << 8 | Int32(UInt8(ascii: "I")) << 16 | Int32(UInt8(ascii: "T")) << 24)

private func ffmpegMessage(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buffer, buffer.count)
    return String(cString: buffer)
}
