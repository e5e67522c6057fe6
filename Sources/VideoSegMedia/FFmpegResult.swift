import CFFmpeg
import VideoSegCore

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
