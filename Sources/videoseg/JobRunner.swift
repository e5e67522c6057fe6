import ArgumentParser
import Foundation
import VideoSeg
import VideoSegPreview

/// Runs a configured job the way the CLI shows it: stop signals, progress or live status,
/// warnings, the summary line, statistics, and the exit code.
enum JobRunner {
    enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
        case auto, bar, none
    }

    /// `preview`: serve the preview page there while the job runs.
    static func run(_ configuration: SegmentConfiguration, options: JobOptions, progress: ProgressMode, inputName: String,
                    preview: PreviewAddress? = nil) throws
    {
        // A full disk under RLIMIT_FSIZE must be an error we report, not a signal that kills us.
        signal(SIGXFSZ, SIG_IGN)
        CommandLineLog.bootstrap(verbose: options.verbose)
        do {
            if case .list(let seconds) = try options.subjectRequest() {
                return try listPeople(configuration, from: seconds, inputName: inputName)
            }
            let status = try execute(configuration, options: options, progress: progress, inputName: inputName, preview: preview)
            if status != 0 { throw ExitCode(status) }
        } catch {
            throw ExitStatus.report(error)
        }
    }

    private static func execute(_ configuration: SegmentConfiguration, options: JobOptions, progress: ProgressMode, inputName: String,
                                preview: PreviewAddress?) throws -> Int32
    {
        // Refused before the run, not after minutes of work; checked again when written.
        if let path = options.statsJson { try OutputPolicy.check(output: path, input: configuration.input, overwrite: options.overwrite) }
        var configuration = configuration
        // The preview listens before any work starts: a port in use fails the job at once.
        let server = preview.map { PreviewServer(address: $0, input: inputName, live: configuration.live) }
        let services = server.map { ServiceHost(services: [$0], shutdownGrace: PreviewServer.shutdownGrace) }
        // However the run ends, the server stops with it (its streams end, its clients are let go).
        defer {
            server?.finish()
            services?.stop()
        }
        if let server, let services {
            services.start()
            try server.waitUntilListening()
            configuration.observer = server
            if !options.quiet { Terminal.error("preview: \(server.url ?? "")") }
        }
        if options.verbose {
            let compute = try configuration.computePlan()
            let name = compute.device.name.map { " (\($0))" } ?? ""
            Terminal.error("device: \(compute.device)\(name), \(compute.reason); batch \(compute.batchSize), \(compute.precision)")
        }
        let pipeline = SegmentationPipeline(configuration: configuration)
        server?.attach(pipeline)
        let signals = StopSignals { pipeline.requestStop() }
        let reporter = makeReporter(for: pipeline, live: configuration.live, options: options, progress: progress)
        reporter?.start()
        let result: SegmentResult
        do {
            result = try pipeline.run()
            reporter?.stop()
            server?.finish()
            services?.stop()
        } catch {
            reporter?.stop()
            throw error
        }
        withExtendedLifetime(signals) {}

        if !options.quiet { printSummary(result, configuration: configuration, verbose: options.verbose, inputName: inputName) }
        if let path = options.statsJson {
            try writeStats(result, input: inputName, live: configuration.live, to: path, overwrite: options.overwrite)
        }
        if result.interrupted { return ExitStatus.interrupted }
        if result.inputDamaged { return ExitStatus.inputDamaged }
        return 0
    }

    /// `--subject list`: the people at a time of the input, each with the point that picks them.
    private static func listPeople(_ configuration: SegmentConfiguration, from seconds: Double, inputName: String) throws {
        let pipeline = SegmentationPipeline(configuration: configuration)
        let signals = StopSignals { pipeline.requestStop() }
        defer { withExtendedLifetime(signals) {} }
        guard let found = try pipeline.people(from: seconds) else {
            print("videoseg: \(inputName): nobody found at or after \(String(format: "%.2f", seconds)) s")
            return
        }
        let time = String(format: "%.2f", found.seconds)
        let plural = found.people.count == 1 ? "person" : "people"
        var text = "videoseg: \(inputName): \(found.people.count) \(plural) at \(time) s (choose one with --subject X,Y@\(time)):\n"
        for (number, person) in found.people.enumerated() {
            let box = person.box
            text += String(format: "  %d: centre %d,%d  box %d,%d %dx%d  %.1f%% of the picture\n", number + 1, person.x, person.y,
                           box[0], box[1], box[2], box[3], person.share * 100)
        }
        // The answer asked for, on stdout (a script may read it).
        print(text, terminator: "")
    }

    /// The progress display the options ask for: live status, a bar, lines into a pipe, or none.
    private static func makeReporter(for pipeline: SegmentationPipeline, live: Bool, options: JobOptions, progress: ProgressMode)
        -> ProgressReporter?
    {
        if options.quiet { return nil }
        if live { return ProgressReporter(pipeline: pipeline, style: .liveStatus) }
        guard progress == .bar || (progress == .auto && Terminal.stderrIsTerminal) else { return nil }
        return ProgressReporter(pipeline: pipeline, style: Terminal.stderrIsTerminal ? .bar : .lines)
    }

    /// The warnings (three unless verbose) and the one summary line of a finished run.
    private static func printSummary(_ result: SegmentResult, configuration: SegmentConfiguration, verbose: Bool, inputName: String) {
        let shown = verbose ? result.warnings : Array(result.warnings.prefix(3))
        for warning in shown { Terminal.error("warning: \(inputName): \(warning)") }
        if result.warnings.count > shown.count {
            Terminal.error("warning: \(inputName): \(result.warnings.count - shown.count) more (see -v)")
        }
        let stopped = result.interrupted ? " (stopped early)" : ""
        let destinations = [result.output, result.maskDirectory.map { "masks in \($0)" },
                            configuration.virtualCamera.map { "virtual camera \($0)" }].compactMap { $0 }
        var live = ""
        if configuration.live {
            live = String(format: ", %d dropped, latency mean %.0f ms, max %.0f ms", result.framesDropped,
                          (result.meanLatency ?? 0) * 1000, (result.maxLatency ?? 0) * 1000)
        }
        Terminal.raw(String(format: "videoseg: %d frames in %.2f s (%.1f fps)%@ -> %@%@\n", result.framesProcessed,
                            result.seconds, result.framesPerSecond, live, destinations.joined(separator: ", "), stopped))
    }

    /// Writes the statistics under the same policy as the video: an existing file only with
    /// `overwrite`, never a symlink, device or folder, and atomically (temporary file, rename).
    private static func writeStats(_ result: SegmentResult, input: String, live: Bool, to path: String, overwrite: Bool) throws {
        try OutputPolicy.writeAtomically(try RunStats(result, input: input, live: live).json(), to: path, overwrite: overwrite)
    }
}
