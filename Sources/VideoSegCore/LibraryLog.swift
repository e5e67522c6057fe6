import Logging

/// Where the library's messages go: a swift-log `Logger` labelled "videoseg", which the host
/// program configures with `LoggingSystem.bootstrap` like any other (swift-log's default prints
/// `info` and above to stdout). FFmpeg's and libtorch's own messages are routed there too,
/// instead of being printed by those libraries: libtorch's warnings and FFmpeg's warnings and
/// errors once each at `warning`/`error`, FFmpeg's informational chatter (libx264's statistics,
/// for example) at `debug`, and anything more verbose at `trace`.
///
/// FFmpeg's route is installed the first time the library opens media, libtorch's the first time
/// it loads a model; the library sets no log level and prints nothing itself.
public enum LibraryLog {
    /// The library's logger.
    public static let logger = Logger(label: "videoseg")

    private static let reported = Locked<Set<String>>([])

    /// Logs `message` at `level`, unless this exact message has been logged before.
    package static func logOnce(_ level: Logger.Level, _ message: String, metadata: Logger.Metadata) {
        guard logger.logLevel <= level else { return }
        let isNew = reported.withLock { $0.insert("\(level) \(message)").inserted }
        if isNew { logger.log(level: level, "\(message)", metadata: metadata) }
    }
}
