import Foundation
import Logging

/// The program's log handler: the library's messages (FFmpeg's and libtorch's among them) on
/// stderr, one line each, shown only with `-v`; errors reach the user as the command's own
/// one-line error instead.
struct CommandLineLog: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    /// Routes every logger to stderr: warnings and errors with `verbose`, nothing otherwise.
    static func bootstrap(verbose: Bool) {
        LoggingSystem.bootstrap { _ in CommandLineLog(logLevel: verbose ? .warning : .critical) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let origin = [merged["library"], merged["component"]].compactMap { $0.map { "\($0)" } }.joined(separator: " ")
        Terminal.error("\(origin.isEmpty ? "" : origin + " ")\(event.level): \(event.message)")
    }
}
