import CFFmpeg
import Foundation
import Testing

@testable import VideoSegMedia
@testable import VideoSegModel
@testable import VideoSegPipeline

/// The repository root, found from this file's path.
let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

/// The `videoseg` binary built beside the test bundle.
let videosegBinary: String = {
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent("videoseg").path,
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("videoseg").path,
        repositoryRoot.appendingPathComponent(".build/debug/videoseg").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
}()

/// What a finished process printed and returned.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Whether it was killed for running past its time limit.
    var timedOut = false
}

/// Runs `executable` with `arguments` to completion, or kills it (SIGKILL) after `timeout`
/// seconds and says so in `timedOut`. Output goes through files, so a chatty process can never
/// block on a full pipe.
@discardableResult
func runProcess(_ executable: String, _ arguments: [String], directory: URL? = nil, environment: [String: String]? = nil,
                timeout: Double? = nil) throws -> ProcessOutput
{
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-proc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    // Polled, not a termination handler: Foundation on Linux may never call one for a process
    // that ends at once.
    var timedOut = false
    if let timeout {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
    }
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "", timedOut: timedOut)
}

/// Runs the built `videoseg`.
@discardableResult
func videoseg(_ arguments: [String], directory: URL? = nil) throws -> ProcessOutput {
    try runProcess(videosegBinary, arguments, directory: directory)
}

/// Runs `ffmpeg` quietly; throws when it fails (test inputs must be made).
func ffmpeg(_ arguments: [String]) throws {
    let result = try runProcess("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments)
    if result.status != 0 {
        throw HarnessError.tool("ffmpeg \(arguments.joined(separator: " ")): \(result.stderr)")
    }
}

enum HarnessError: Error {
    case tool(String)
}

/// A fresh folder for one test, removed at the end.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// The names in the folder, hidden ones included (a leftover partial file shows up here).
    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }
}

/// The deterministic test model: its scores are its input, so the class of a pixel is the
/// RGB channel that is largest (0 red, 1 green, 2 blue). Mean 0 / std 1 keep the order.
func makeChannelModel(in scratch: Scratch, name: String = "channels.pt", inputSize: InputSize = .shortSide(64)) throws -> String {
    let path = scratch.path(name)
    try SegmentationModel.define(
        source: "def forward(self, x) -> Dict[str, Tensor]:\n    return {\"out\": x}\n",
        metadata: ModelMetadata(labels: ["red", "green", "blue"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: inputSize),
        path: path)
    return path
}

/// A random-weight torchvision model made by Models/make_test_models.py (.ci/run makes them).
func cachedModel(_ name: String) throws -> String {
    let path = repositoryRoot.appendingPathComponent("Models/.cache/\(name).pt").path
    try #require(FileManager.default.fileExists(atPath: path), "run Models/make_test_models.py first (missing \(path))")
    return path
}

/// Runs the built `videoseg`, sends `signal` as soon as stderr has shown `marker` `times` times,
/// and returns what it printed. The signal follows the output, never a sleep. `killed` says
/// whether the process ended by a signal (then `status` is the signal number).
func videosegInterrupted(_ arguments: [String], signal: Int32, after marker: String, times: Int = 1,
                         environment: [String: String]? = nil) throws -> (output: ProcessOutput, signalled: Bool, killed: Bool)
{
    let process = try LiveProcess(arguments, environment: environment)
    let signalled = process.waitFor(NSRegularExpression.escapedPattern(for: marker), times: times, timeout: 600) != nil
    if signalled { process.signal(signal) }
    let ended = process.wait(timeout: 600)
    let output = ProcessOutput(status: ended.status, stdout: "", stderr: process.stderr)
    return (output, signalled, process.endedBySignal)
}

/// The fake V4L2 camera (Tests/Support/fakev4l2), built once per test run.
let fakeCameraLibrary: String = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-fakev4l2-\(getpid())").path
    let script = repositoryRoot.appendingPathComponent("Tests/Support/fakev4l2/build.sh").path
    guard let result = try? runProcess("/bin/bash", [script, folder]), result.status == 0 else { return "" }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}()

/// The environment that makes `videoseg` see the fake camera at /dev/video-fake.
func fakeCameraEnvironment(_ settings: [String: String]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["LD_PRELOAD"] = fakeCameraLibrary
    for (key, value) in settings { environment[key] = value }
    return environment
}

/// The tensor the pipeline feeds `model` (prepared at `width`×`height`) for the first picture
/// of `image`: decoded, scaled by swscale, turned upright and normalised with the model's mean/std.
func modelInput(image: String, model: SegmentationModel, width: Int, height: Int) throws -> [Float] {
    precondition(model.inputWidth == width && model.inputHeight == height, "prepare the model at \(width)x\(height) first")
    let source = try MediaSource(path: image)
    let preprocessor = Preprocessor(model: model, orientation: source.orientation)
    let frame = try source.firstFrame()
    var tensor = [Float](repeating: 0, count: preprocessor.tensorCount)
    try tensor.withUnsafeMutableBufferPointer { try preprocessor.process(frame, into: $0.baseAddress!) }
    return tensor
}
