import ArgumentParser
import Foundation
import VideoSeg

/// `videoseg batch`: many videos, one process, resumable.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Segment many videos: skip finished ones, go on past failures, report every video.",
        discussion: """
            Outputs mirror the inputs below --output-dir: a/b.mov → DIR/a/b.segmented.mp4 (and \
            DIR/a/b.masks/ with --masks), each with a small done-record beside it; a rerun skips \
            videos whose input and settings are unchanged. DIR/batch-report.jsonl gets one line per \
            video. -o picks every video's container by its extension alone (-o .mkv → \
            DIR/a/b.segmented.mkv; default .mp4, .webm for --style cutout). Exit codes: 0 every video done or skipped; 2 some failed (see the report); 1 the \
            output folder or the report cannot be written (one line says why); 64 bad usage; 130 \
            stopped (unfinished videos leave no output).
            """)

    @Argument(help: "Video files, and folders searched recursively for videos.")
    var inputs: [String] = []

    @Option(name: .long, help: ArgumentHelp("Also read inputs from this file: one path or FFmpeg URL a line.", valueName: "file"))
    var list: String?

    @Option(name: .long, help: ArgumentHelp("Where the outputs go.", valueName: "dir"))
    var outputDir: String

    @Option(name: .long, help: "Videos processed at once (they share the cores).")
    var jobs: Int = 1

    @Option(name: .long, help: ArgumentHelp("Process only share I of N of the inputs (0-based), e.g. 0/4, for job arrays.", valueName: "I/N"))
    var shard: String?

    @Option(name: .long, help: ArgumentHelp("Write the report here instead of DIR/batch-report.jsonl.", valueName: "file"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("How long to wait for a video another videoseg run is writing (default: until that run lets go; 0: report it failed at once).", valueName: "seconds"))
    var lockWait: Double?

    @Flag(name: .long, help: "Do no work: print the inputs (after --shard) as JSON lines, {\"input\", \"name\"}, name being the outputs' path below DIR without the ending.")
    var printPlan = false

    @Flag(name: .long, help: "Serve jobs: read one a line on stdin ({\"input\": PATH, \"name\": NAME, \"id\": ID}, name and id optional), answer each with its report line on stdout; the model stays prepared between jobs. Ends at the end of stdin.")
    var serve = false

    @OptionGroup var job: JobOptions

    @Option(name: .long, help: "auto or bar: a line per finished video on stderr; none: only the summary.")
    var progress: JobRunner.ProgressMode = .auto

    @Flag(name: .long, help: "Leave the audio out.")
    var noAudio = false

    func validate() throws {
        guard jobs >= 1 && jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
        if let output = job.output, BatchCommand.containerExtension(output) == nil {
            throw ValidationError("-o \(output): batch names its outputs after the inputs (see --output-dir); -o only picks the container by its extension, e.g. -o .mkv")
        }
        if let lockWait, !(lockWait >= 0) { throw ValidationError("--lock-wait must be 0 or more seconds") }
        if case .list = try job.subjectRequest() {
            throw ValidationError("--subject list looks at one video: run it with segment on the video you want")
        }
        if serve {
            if !inputs.isEmpty || list != nil || shard != nil || report != nil || printPlan || jobs != 1 {
                throw ValidationError("--serve reads its videos on stdin: leave out inputs, --list, --shard, --report, --print-plan and --jobs")
            }
            return
        }
        if inputs.isEmpty && list == nil { throw ValidationError("give input files or folders, or --list FILE") }
        if let shard, BatchCommand.parseShard(shard) == nil { throw ValidationError("--shard: expected I/N with 0 ≤ I < N, got \"\(shard)\"") }
    }

    /// The container extension an `-o` value gives (`.mkv`, `mkv` or `any.mkv`); nil for none or
    /// a picture sequence, which a batch cannot name per video.
    static func containerExtension(_ output: String) -> String? {
        let name = URL(fileURLWithPath: output).lastPathComponent
        let ext = name.contains(".") ? String(name[name.index(after: name.lastIndex(of: ".")!)...]) : name
        guard !ext.isEmpty, ext.allSatisfy({ $0.isLetter || $0.isNumber }), ext.lowercased() != "png" else { return nil }
        return ext
    }

    static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count > 0, index >= 0, index < count else { return nil }
        return (index, count)
    }

    /// One JSON line per input on stdout: how the Ray driver learns the inputs and their names
    /// exactly as a batch collects them, without a second implementation of the naming.
    static func writePlan(_ plan: [BatchInput]) throws {
        struct Line: Encodable {
            var input: String
            var name: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for input in plan {
            data.append(try encoder.encode(Line(input: input.source, name: input.name)))
            data.append(0x0A)
        }
        FileHandle.standardOutput.write(data)
    }

    func run() throws {
        CommandLineLog.bootstrap(verbose: job.verbose)
        signal(SIGXFSZ, SIG_IGN)
        let runner: BatchRunner
        do {
            var template = try job.configuration(input: "", defaultOutput: "video.mp4")
            if let output = job.output, let ext = BatchCommand.containerExtension(output), template.output != nil { template.output = "video." + ext }
            template.includeAudio = !noAudio
            if serve { return try serveJobs(template) }
            var selected = try BatchInput.collect(inputs, listFile: list, excluding: outputDir)
            if let shard, let (index, count) = BatchCommand.parseShard(shard) { selected = BatchInput.shard(selected, index: index, count: count) }
            if printPlan { return try BatchCommand.writePlan(selected) }
            runner = BatchRunner(template: template, inputs: selected, outputDirectory: outputDir, jobs: jobs, reportPath: report,
                                 settingNames: SettingFlags.flag)
            runner.lockWait = lockWait
        } catch {
            throw ExitStatus.report(error)
        }
        let signals = StopSignals { runner.requestStop() }
        let display = BatchDisplay(runner: runner, quiet: job.quiet || progress == .none)
        display.start()
        let outcomes: [BatchOutcome]
        // The videos' results are shown even when the report cannot be written (then exit 1).
        var reportFailure: Error?
        do {
            outcomes = try runner.run()
        } catch {
            outcomes = runner.finishedOutcomes
            reportFailure = error
        }
        display.stop()
        if let reportFailure, outcomes.isEmpty { throw ExitStatus.report(reportFailure) }
        withExtendedLifetime(signals) {}
        let count = { (status: BatchOutcome.Status) in outcomes.filter { $0.status == status }.count }
        if !job.quiet {
            for failed in outcomes where failed.status == .failed {
                Terminal.error("failed: \(failed.error ?? "\(failed.input): unknown error")")
            }
            let stopped = outcomes.count < runner.inputs.count || count(.stopped) > 0 ? ", stopped early" : ""
            Terminal.error("batch: \(count(.done)) done, \(count(.skipped)) skipped, \(count(.failed)) failed of \(runner.inputs.count) videos; models prepared: \(runner.modelsLoaded); report \(runner.reportPath)\(stopped)")
        }
        if let reportFailure { Terminal.error("error: \(ErrorLine.describe(reportFailure))") }
        if outcomes.count < runner.inputs.count || count(.stopped) > 0 { throw ExitCode(ExitStatus.interrupted) }
        if reportFailure != nil { throw ExitCode(ExitStatus.failure) }
        if count(.failed) > 0 { throw ExitCode(2) }
    }
}

/// One line per finished video on stderr: position, status, frames, and the ETA of the rest.
final class BatchDisplay: Sendable {
    private let runner: BatchRunner
    private let quiet: Bool
    private let stopped = Locked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)

    init(runner: BatchRunner, quiet: Bool) {
        self.runner = runner
        self.quiet = quiet
    }

    func start() {
        guard !quiet else { return }
        let started = Date()
        Thread { [self] in
            var shown = 0
            while true {
                let done = stopped.current
                let progress = runner.progress
                if progress.videosFinished > shown {
                    shown = progress.videosFinished
                    let elapsed = Date().timeIntervalSince(started)
                    let left = Double(progress.videosTotal - shown) * elapsed / Double(max(1, shown))
                    Terminal.error(String(format: "batch: %d/%d videos (%d done, %d skipped, %d failed), %d frames, %.0f s, ETA %.0f s",
                                          shown, progress.videosTotal, progress.done, progress.skipped, progress.failed, progress.frames,
                                          elapsed, left))
                }
                if done { break }
                // Woken at once by `stop`: the batch's end must not wait out a poll interval.
                _ = wake.wait(timeout: .now() + 0.2)
            }
            finished.signal()
        }.start()
    }

    func stop() {
        guard !quiet else { return }
        stopped.withLock { $0 = true }
        wake.signal()
        finished.wait()
    }
}
