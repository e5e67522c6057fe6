import CFFmpeg

/// FFmpeg's own log (libavformat, libavcodec, the encoders' chatter).
enum FFmpegLog {
    /// Shows FFmpeg's warnings and errors on stderr, or nothing at all.
    static func show(_ shown: Bool) {
        av_log_set_level(shown ? AV_LOG_WARNING : AV_LOG_QUIET)
    }
}
