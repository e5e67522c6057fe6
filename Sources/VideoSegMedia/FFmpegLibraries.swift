import CFFmpeg
import VideoSegCore

/// The FFmpeg libraries VideoSeg runs with, for version reports.
public enum FFmpegLibraries {
    /// FFmpeg's version string as the loaded libavutil reports it (e.g. "5.1.6-0+deb12u1").
    public static var version: String { String(cString: av_version_info()) }

    /// The library versions VideoSeg was compiled against (e.g. "Lavf59.27.100").
    public static var compiledWith: [String] {
        [vs_avformat_ident(), vs_avcodec_ident(), vs_swscale_ident(), vs_avutil_ident()].map { String(cString: $0) }
    }
}
