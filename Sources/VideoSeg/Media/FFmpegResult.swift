import CFFmpeg
import CTorchBridge

/// FFmpeg's message for an AVERROR code, e.g. "Invalid data found when processing input".
func ffmpegErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    return buffer.withUnsafeMutableBufferPointer { pointer in
        String(cString: vs_error_string(code, pointer.baseAddress!, pointer.count))
    }
}

/// Throws `VideoSegError.ffmpeg` when `code` is negative, naming the file and the call.
@discardableResult
func checkFFmpeg(_ code: Int32, path: String, operation: String) throws -> Int32 {
    if code < 0 {
        throw VideoSegError.ffmpeg(path: path, operation: operation, code: code, message: ffmpegErrorString(code))
    }
    return code
}

/// The libraries' own logging: quiet unless the user asked for verbose output.
public enum LibraryLog {
    /// Shows FFmpeg's and libtorch's own warnings (`-v`), or hides them.
    public static func configure(verbose: Bool) {
        av_log_set_level(verbose ? AV_LOG_WARNING : AV_LOG_QUIET)
        vs_torch_show_warnings(verbose ? 1 : 0)
    }
}
