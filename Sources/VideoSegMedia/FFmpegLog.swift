import CFFmpeg
import Foundation
import Logging
import VideoSegCore

/// Routes FFmpeg's log (libavformat, libavcodec, the encoders' chatter) to `LibraryLog`.
enum FFmpegLog {
    /// Sends every message FFmpeg logs to `LibraryLog` instead of stderr.
    /// Installs the route (once; later calls do nothing).
    package static func routeOnce() {
        _ = installed
    }

    private static let installed: Void = route()

    private static func route() {
        vs_log_route { context, ffmpegLevel, line in
            let level = FFmpegLog.level(ffmpegLevel)
            guard LibraryLog.logger.logLevel <= level, let line else { return }
            // FFmpeg sometimes logs one line in several calls; only a newline ends it.
            let text = String(cString: line)
            let whole = FFmpegLog.partialLine.withLock { pending -> String? in
                pending += text
                guard text.hasSuffix("\n") else { return nil }
                defer { pending = "" }
                return pending
            }
            guard let message = whole?.trimmingCharacters(in: .whitespacesAndNewlines), !message.isEmpty else { return }
            var metadata: Logger.Metadata = ["library": "ffmpeg"]
            if let name = vs_log_context_name(context).map({ String(cString: $0) }), name != "NULL" {
                metadata["component"] = "\(name)"
            }
            LibraryLog.logOnce(level, message, metadata: metadata)
        }
    }

    /// The start of a line FFmpeg has not finished yet.
    private static let partialLine = Locked("")

    /// The swift-log level for an FFmpeg level: informational chatter is debug output for a
    /// program that uses the library.
    package static func level(_ ffmpegLevel: Int32) -> Logger.Level {
        switch ffmpegLevel {
        case ...AV_LOG_ERROR: .error
        case ...AV_LOG_WARNING: .warning
        case ...AV_LOG_INFO: .debug
        default: .trace
        }
    }
}
