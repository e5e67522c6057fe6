import ArgumentParser
import Foundation
import VideoSeg

extension BatchCommand {
    /// `batch --serve`: jobs from stdin, one answer line each on stdout, until stdin ends. A stop
    /// signal while a video runs stops it (it leaves no outputs, its answer says `stopped`) and
    /// ends the server; between videos it ends the server at once.
    func serveJobs(_ template: SegmentConfiguration) throws {
        do {
            try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        } catch {
            throw VideoSegError.outputNotWritable(path: outputDir, reason: SettingMessage(ErrorLine.cause(of: error)))
        }
        let runner = BatchRunner(template: template, inputs: [], outputDirectory: outputDir, jobs: 1, settingNames: SettingFlags.flag)
        runner.lockWait = lockWait
        let server = BatchServer(runner: runner)
        let signals = StopSignals {
            runner.requestStop()
            if !server.isBusy { Foundation.exit(ExitStatus.interrupted) }
        }
        // A reader that went away (its actor killed) must end us with an error, not a signal.
        signal(SIGPIPE, SIG_IGN)
        server.serve(FileHandle.standardInput) { answer in
            if !BatchCommand.writeAll(answer) {
                Terminal.error("error: batch --serve: cannot write an answer on stdout: \(String(cString: strerror(errno)))")
                Foundation.exit(ExitStatus.failure)
            }
        }
        withExtendedLifetime(signals) {}
        if runner.isStopping { throw ExitCode(ExitStatus.interrupted) }
    }

    /// Writes all of `data` to stdout (a pipe takes it in pieces); false on an error.
    static func writeAll(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }
}
