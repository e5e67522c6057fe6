import ArgumentParser
import Foundation
import VideoSeg

/// `videoseg bench`: per-stage CPU cost, the bound it sets, the full pipeline against the bound,
/// and the Python reference on the same video, model and size.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure every stage, the full pipeline and the Python reference on one video.")

    @Argument(help: "The video to measure on (e.g. Samples/sample.mp4).")
    var input: String

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .long, help: "libtorch intra-op threads, for VideoSeg and the Python reference alike.")
    var threads: Int = SegmentConfiguration.defaultThreads

    @Option(name: .long, help: "Measure at most this many frames.")
    var maxFrames: Int?

    @Option(name: .long, help: ArgumentHelp("Benchmarks/python_reference.py to compare with.", valueName: "path"))
    var pythonReference: String = BenchCommand.checkout.appendingPathComponent("Benchmarks/python_reference.py").path

    @Option(name: .long, help: "Edges to draw: refined, soft or hard (see segment --edges).")
    var edges: OverlayStyle.Edges = .refined

    @Option(name: .long, help: "Style to draw (see segment --style).")
    var style: OverlayStyle.Mode = .blend

    @Option(name: .long, help: ArgumentHelp("With --style replace: the background.", valueName: "file|color"))
    var background: String?

    @Option(name: .long, help: ArgumentHelp("Keep one person, as segment --subject does (largest, center, X,Y): its cost has a row of its own.", valueName: "choice"))
    var subject: String = "all"

    @Flag(name: .long, help: "Skip the Python reference.")
    var noPython = false

    @Option(name: .long, help: "Measure stages and pipeline runs this many times, alternating, and keep the best of each (shared machines drift).")
    var rounds: Int = 2

    @Option(name: .long, help: ArgumentHelp("Also write the table as JSON.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write the graph VideoSeg runs (videoseg.graph.txt) and PyTorch's optimised one (pytorch-optimized.graph.txt) into this folder.", valueName: "folder"))
    var dumpGraphs: String?

    @Option(name: .long, help: ArgumentHelp("Benchmarks/forward_reference.py: PyTorch's forward pass to compare with.", valueName: "path"))
    var forwardReference: String = BenchCommand.checkout.appendingPathComponent("Benchmarks/forward_reference.py").path

    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func validate() throws {
        try ResourceLimits.checkThreads(threads)
    }

    func run() throws {
        CommandLineLog.bootstrap(verbose: false)
        do {
            try bench()
        } catch {
            throw ExitStatus.report(error)
        }
    }

    private func bench() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // VideoSeg gives OpenBLAS libtorch's thread count; PyTorch in Python does not, and its
        // idle OpenBLAS workers spin on a core. The references get the same count by the
        // variable OpenBLAS reads as it loads, so the comparison is of the work, not of that.
        setenv("OPENBLAS_NUM_THREADS", "\(threads)", 1)
        let measured = try measureRounds(scratch: scratch)
        let python = noPython ? [] : try runPython(size: measured.stages.inputSize, modelPath: measured.stages.modelPath, scratch: scratch)
        print(table(measured, python: python, cores: cores).joined(separator: "\n"))
        if let json { try writeJSON(measured, python: python, cores: cores, to: json) }
    }

    /// The best of each measurement over `rounds` alternating rounds.
    struct Measured {
        var stages: StageBenchmark
        var video: Run
        var masks: Run
        /// PyTorch's forward pass, measured between VideoSeg's rounds (nil with --no-python).
        var pytorch: ForwardReference?
    }

    /// Each stage alone, then the full pipeline writing video, then masks only; `rounds` times,
    /// alternating, keeping the best of each.
    private func measureRounds(scratch: URL) throws -> Measured {
        var configuration = SegmentConfiguration(input: input, output: nil, modelPath: modelOptions.model)
        configuration.metadataOverrides = try modelOptions.overrides()
        configuration.inputSize = try modelOptions.parsedInputSize()
        configuration.threads = threads
        configuration.graphPreparation = modelOptions.prepare
        configuration.style.edges = edges
        configuration.style.mode = style
        configuration.style.background = background
        configuration.subject = try SubjectChoice(parsing: subject)
        var best: Measured?
        for round in 1...max(1, rounds) {
            Terminal.error("bench: round \(round): each stage alone…")
            let stages = try StageBenchmark.measure(configuration, scratchOutput: scratch.appendingPathComponent("stages.mp4").path,
                                                    maxFrames: maxFrames)
            // PyTorch's forward pass right after VideoSeg's stages, round by round: a load that
            // comes and goes on a shared machine weighs on both.
            let pytorch = noPython ? nil : try measurePyTorch(stages, round: round)
            var common = [input, "--model", stages.modelPath, "--threads", "\(threads)", "--progress", "none", "--edges", edges.rawValue,
                          "--style", style.rawValue, "--prepare", modelOptions.prepare.rawValue]
            if let background { common += ["--background", background] }
            if subject != "all" { common += ["--subject", "\(configuration.subject)"] }
            if let inputSize = modelOptions.inputSize { common += ["--input-size", inputSize] }
            if let maxFrames { common += ["--max-frames", "\(maxFrames)"] }
            Terminal.error("bench: round \(round): full pipeline, annotated video…")
            let video = try runChild(CommandLine.arguments[0], ["segment"] + common + [
                "-o", scratch.appendingPathComponent("video.mp4").path, "--overwrite",
                "--stats-json", scratch.appendingPathComponent("v.json").path,
            ], stats: scratch.appendingPathComponent("v.json"))
            Terminal.error("bench: round \(round): full pipeline, masks only…")
            let masks = try runChild(CommandLine.arguments[0], ["segment"] + common + [
                "--no-video", "--masks", scratch.appendingPathComponent("masks").path, "--overwrite",
                "--stats-json", scratch.appendingPathComponent("m.json").path,
            ], stats: scratch.appendingPathComponent("m.json"))
            guard var kept = best else {
                best = Measured(stages: stages, video: video, masks: masks, pytorch: pytorch)
                continue
            }
            for (stage, time) in stages.cpuMilliseconds { kept.stages.cpuMilliseconds[stage] = min(kept.stages.cpuMilliseconds[stage] ?? time, time) }
            kept.stages.subjectMilliseconds = min(kept.stages.subjectMilliseconds, stages.subjectMilliseconds)
            kept.pytorch = pytorch?.best(kept.pytorch)
            if video.fps > kept.video.fps { kept.video = video }
            if masks.fps > kept.masks.fps { kept.masks = masks }
            best = kept
        }
        return best!
    }

    /// PyTorch's forward pass on this round's frames; in the first round with --dump-graphs, the
    /// graphs of both sides are written too.
    private func measurePyTorch(_ stages: StageBenchmark, round: Int) throws -> ForwardReference {
        Terminal.error("bench: round \(round): PyTorch's forward pass…")
        var graphOut: String?
        if let dumpGraphs, round == 1 {
            let folder = URL(fileURLWithPath: dumpGraphs)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try stages.modelGraph.write(to: folder.appendingPathComponent("videoseg.graph.txt"), atomically: true, encoding: .utf8)
            graphOut = folder.appendingPathComponent("pytorch-optimized.graph.txt").path
        }
        return try ForwardReference.measure(script: forwardReference, input: input, model: stages.modelPath, size: stages.inputSize,
                                            threads: threads, frames: min(maxFrames ?? 30, 30), graphOut: graphOut)
    }

    /// The Python reference as loaded and frozen + optimised, at the size VideoSeg used.
    private func runPython(size: String, modelPath: String, scratch: URL) throws -> [(String, Run)] {
        try [false, true].map { optimised in
            Terminal.error("bench: Python reference\(optimised ? " (frozen, optimised)" : "")…")
            var arguments = [pythonReference, input, modelPath, "-o", scratch.appendingPathComponent("py.mp4").path,
                             "--input-size", size, "--threads", "\(threads)", "--json"]
            if optimised { arguments.append("--optimised") }
            if let maxFrames { arguments += ["--max-frames", "\(maxFrames)"] }
            return (optimised ? "Python reference, frozen + optimised" : "Python reference, as loaded",
                    try runChild("/usr/bin/python3", arguments, stats: nil))
        }
    }

    private func table(_ measured: Measured, python: [(String, Run)], cores: Int) -> [String] {
        let stages = measured.stages
        let boundMs = stages.boundMilliseconds(cores: cores)
        let boundFPS = 1000 / boundMs
        var lines = [
            "videoseg bench: \(input), \(URL(fileURLWithPath: stages.modelPath).lastPathComponent) (\(stages.modelOptimization)) at \(stages.inputSize), \(threads) libtorch and OpenBLAS thread(s), \(cores) cores, \(stages.frames) frames, \(edges.rawValue) edges",
            "graph: \(stages.modelOptimization) (\(stages.modelPreparationNote.isEmpty ? "no note" : stages.modelPreparationNote))",
            "best of \(max(1, rounds)) round(s) each", "",
            pad("stage (alone, single-threaded codecs)", 40) + "CPU ms/frame",
        ]
        for stage in StageBenchmark.stages {
            let time = stages.cpuMilliseconds[stage] ?? 0
            guard stage == .scores else {
                lines.append(pad("  " + stage.work, 40) + String(format: "%8.2f", time))
                continue
            }
            lines.append(pad("  " + stage.work, 40) + String(format: "%8.2f", time - stages.subjectMilliseconds))
            if subject != "all" {
                lines.append(pad("  subject: people, following", 40) + String(format: "%8.2f", stages.subjectMilliseconds))
            }
        }
        let total = StageBenchmark.stages.map { stages.cpuMilliseconds[$0] ?? 0 }.reduce(0, +)
        lines.append(pad("  sum", 40) + String(format: "%8.2f", total))
        lines.append(pad("bound: max(slowest, sum / \(cores) cores)", 40) + String(format: "%8.2f ms = %.1f fps", boundMs, boundFPS))
        if let pytorch = measured.pytorch {
            let ours = stages.cpuMilliseconds[.inference] ?? 0
            lines.append("")
            lines.append("forward + argmax, CPU ms a frame, measured alternately with VideoSeg's stages (same frames, size, threads):")
            lines.append(pad("  PyTorch, frozen", 40) + String(format: "%8.2f", pytorch.frozenMilliseconds))
            lines.append(pad("  PyTorch, frozen + optimized", 40) + String(format: "%8.2f", pytorch.optimizedMilliseconds))
            lines.append(pad("  VideoSeg", 40) + String(format: "%8.2f = %.2fx PyTorch's optimized", ours,
                                                          ours / max(pytorch.optimizedMilliseconds, 1e-9)))
        }
        lines.append("")
        lines += fullRunTable(measured.video, alone: stages.cpuMilliseconds)
        lines.append("")
        lines.append(pad("run", 40) + "frames  seconds      fps  ÷bound  peak RSS")
        for (name, run) in [("VideoSeg, annotated video", measured.video), ("VideoSeg, masks only", measured.masks)] + python {
            lines.append(pad(name, 40) + String(format: "%6d %8.2f %8.2f %7.2f %6.0f MB", run.frames, run.seconds, run.fps, run.fps / boundFPS,
                                                Double(run.peakRSSKilobytes) / 1024))
        }
        for (name, run) in python where run.fps > 0 {
            lines.append(String(format: "speed-up over %@: %.2fx", name, measured.video.fps / run.fps))
        }
        return lines
    }

    /// The annotated-video run stage by stage: CPU per frame alone and in the run, and how
    /// each stage thread spent the run's wall time (working, waiting for the stage before it,
    /// waiting for the one after it), so the overhead of the full run shows where it is.
    private func fullRunTable(_ run: Run, alone: [StageName: Double]) -> [String] {
        let frames = Double(max(1, run.frames)), wall = max(run.seconds, 1e-9)
        var lines = [pad("full run, annotated video", 28) + "CPU ms/frame: alone  in run    busy  wait in  wait out"]
        var threadCPU = 0.0
        for stage in StageName.allCases {
            guard let timing = run.stageTimings[stage.rawValue] else { continue }
            threadCPU += timing.cpuSeconds
            let aloneText = alone[stage].map { String(format: "%8.2f", $0) } ?? "       —"
            lines.append(pad("  " + stage.work, 40) + aloneText + String(format: " %7.2f %6.0f%% %7.0f%% %8.0f%%", timing.cpuSeconds * 1000 / frames,
                                                                          timing.busySeconds / wall * 100, timing.waitingForInput / wall * 100,
                                                                          timing.waitingForOutput / wall * 100))
        }
        let workers = max(0, run.cpuSeconds - threadCPU)
        lines.append(pad("  codec and libtorch worker threads", 40) + "       —" + String(format: " %7.2f", workers * 1000 / frames))
        lines.append(pad("  sum", 40) + String(format: "%8.2f %7.2f", StageBenchmark.stages.map { alone[$0] ?? 0 }.reduce(0, +),
                                                      run.cpuSeconds * 1000 / frames))
        lines.append(String(format: "start-up: %.2f s from process start to the first frame (model load %.2f s, prepare %.2f s, graph choice %@)",
                            run.startupSeconds, run.modelLoadSeconds, run.modelPrepareSeconds, run.preparation))
        return lines
    }

    private func writeJSON(_ measured: Measured, python: [(String, Run)], cores: Int, to path: String) throws {
        let stages = measured.stages
        let boundMs = stages.boundMilliseconds(cores: cores)
        var object: [String: Any] = [
            "input": input, "model": stages.modelPath, "input_size": [stages.inputWidth, stages.inputHeight], "threads": threads,
            "cores": cores, "frames": stages.frames,
            "stage_cpu_ms": Dictionary(uniqueKeysWithValues: stages.cpuMilliseconds.map { ($0.key.rawValue, $0.value) }),
            "bound_ms": boundMs, "bound_fps": 1000 / boundMs, "video": measured.video.dictionary, "masks": measured.masks.dictionary,
            "score_postprocessing_ms": (stages.cpuMilliseconds[.scores] ?? 0) - stages.subjectMilliseconds,
            "subject_ms": stages.subjectMilliseconds, "model_optimization": stages.modelOptimization,
            "model_preparation_note": stages.modelPreparationNote,
        ]
        if let pytorch = measured.pytorch {
            object["pytorch_forward_ms"] = ["frozen": pytorch.frozenMilliseconds, "optimized": pytorch.optimizedMilliseconds]
        }
        for (name, run) in python { object[name.contains("optimised") ? "python_optimised" : "python"] = run.dictionary }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw VideoSegError.outputNotWritable(path: path, reason: "cannot write")
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    struct Run {
        var frames: Int
        var seconds: Double
        var fps: Double
        var peakRSSKilobytes: Int
        /// From the child's statistics (VideoSeg runs only).
        var cpuSeconds = 0.0
        var stageTimings: [String: StageTiming] = [:]
        var startupSeconds = 0.0
        var modelLoadSeconds = 0.0
        var modelPrepareSeconds = 0.0
        var preparation = ""
        var dictionary: [String: Any] {
            var entries: [String: Any] = ["frames": frames, "seconds": seconds, "fps": fps, "peak_rss_kb": peakRSSKilobytes]
            if !stageTimings.isEmpty {
                entries["run_cpu_seconds"] = cpuSeconds
                entries["startup_seconds"] = startupSeconds
                entries["stage_cpu_seconds"] = stageTimings.mapValues(\.cpuSeconds)
            }
            return entries
        }
    }

    /// Runs a child to completion; its peak RSS comes from wait4, its figures from its JSON
    /// (a stats file, or its stdout).
    private func runChild(_ executable: String, _ arguments: [String], stats: URL?) throws -> Run {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-bench-child-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log.path + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { try? FileManager.default.removeItem(atPath: log.path + ".out") }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw VideoSegError.invalidOption("\(executable): cannot start (\(String(cString: strerror(spawned))))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xFF
        let stderrText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard status & 0x7F == 0, exitCode == 0 else {
            let last = stderrText.split(separator: "\n").last.map(String.init) ?? "exit \(exitCode)"
            throw VideoSegError.invalidOption("bench: \(URL(fileURLWithPath: arguments.first ?? executable).lastPathComponent) failed: \(last)")
        }
        let data = stats.flatMap { FileManager.default.contents(atPath: $0.path) }
            ?? FileManager.default.contents(atPath: log.path + ".out") ?? Data()
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let frames = (object["frames"] as? Int) ?? (object["masks"] as? Int) ?? 0
        let masks = object["masks"] as? Int ?? 0
        var run = Run(frames: max(frames, masks), seconds: object["seconds"] as? Double ?? 0, fps: object["fps"] as? Double ?? 0,
                      peakRSSKilobytes: Int(usage.ru_maxrss))
        run.cpuSeconds = object["run_cpu_seconds"] as? Double ?? 0
        run.startupSeconds = object["startup_seconds"] as? Double ?? 0
        run.modelLoadSeconds = object["model_load_seconds"] as? Double ?? 0
        run.modelPrepareSeconds = object["model_prepare_seconds"] as? Double ?? 0
        run.preparation = object["model_preparation"] as? String ?? ""
        for (name, value) in object["stage_timing"] as? [String: [String: Double]] ?? [:] {
            run.stageTimings[name] = StageTiming(
                busySeconds: value["busy_seconds"] ?? 0, waitingForInput: value["waiting_for_input_seconds"] ?? 0,
                waitingForOutput: value["waiting_for_output_seconds"] ?? 0, cpuSeconds: value["cpu_seconds"] ?? 0,
                lifetimeSeconds: value["thread_seconds"] ?? 0)
        }
        return run
    }
}
