import ArgumentParser
import Foundation
import VideoSeg

/// The exit codes README documents.
enum ExitStatus {
    static let failure: Int32 = 1
    static let inputDamaged: Int32 = 3
    static let interrupted: Int32 = 130

    /// Prints `error` as one line on stderr and returns the exit code to end with.
    static func report(_ error: Error) -> ExitCode {
        if let exit = error as? ExitCode { return exit }
        if case VideoSegError.stopped = error {
            Terminal.error(VideoSegError.stopped.description)
            return ExitCode(interrupted)
        }
        Terminal.error("error: \(ErrorLine.describe(error))")
        return ExitCode(failure)
    }
}

/// Writing to stderr, line by line.
enum Terminal {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data("videoseg: \(line)\n".utf8))
    }

    static func raw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}
