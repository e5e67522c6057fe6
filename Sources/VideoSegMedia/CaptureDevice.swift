import CFFmpeg
import VideoSegCore

/// V4L2 capture devices, through libavdevice.
public enum CaptureDevice {
    /// Makes libavdevice's inputs and outputs known to FFmpeg (it is loaded on first use).
    static func registerDevices(for path: String) throws {
        guard vs_register_devices() == 0 else {
            throw VideoSegError.deviceUnavailable(path: path, reason: "libavdevice could not be loaded: \(String(cString: dlerror()))")
        }
    }

    /// Prints the formats and sizes `device` offers on stderr. FFmpeg's v4l2 input prints the list
    /// itself, at info level, and then ends the open with AVERROR_EXIT.
    public static func listFormats(_ device: String) throws {
        try registerDevices(for: device)
        let level = av_log_get_level()
        av_log_set_level(AV_LOG_INFO)
        defer { av_log_set_level(level) }
        var context: UnsafeMutablePointer<AVFormatContext>?
        var options: OpaquePointer?
        av_dict_set(&options, "list_formats", "all", 0)
        defer { av_dict_free(&options) }
        let status = avformat_open_input(&context, device, av_find_input_format("v4l2"), &options)
        if status >= 0 {
            avformat_close_input(&context)
        } else if status != vs_averror_exit() {
            throw VideoSegError.deviceUnavailable(path: device, reason: ffmpegErrorString(status))
        }
    }
}
