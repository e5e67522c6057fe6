import Foundation
import VideoSeg

/// PyTorch's own forward pass on the bench's video (`Benchmarks/forward_reference.py`): the
/// frozen and the optimised graph at VideoSeg's input size and threads, CPU ms a pass
/// (forward + argmax), for `bench` to hold VideoSeg's "forward + argmax" against in the same run.
struct ForwardReference {
    /// Mean CPU milliseconds a pass of each graph, over the frames measured.
    var frozenMilliseconds: Double
    var optimizedMilliseconds: Double

    /// The better of two measurements, graph by graph (rounds on a shared machine).
    func best(_ other: ForwardReference?) -> ForwardReference {
        guard let other else { return self }
        return ForwardReference(frozenMilliseconds: min(frozenMilliseconds, other.frozenMilliseconds),
                                optimizedMilliseconds: min(optimizedMilliseconds, other.optimizedMilliseconds))
    }

    /// Runs the script on `frames` frames of `input` with `model` at `size` ("WxH"); with
    /// `graphOut`, it also writes the optimised graph there.
    static func measure(script: String, input: String, model: String, size: String, threads: Int, frames: Int,
                        graphOut: String?) throws -> ForwardReference
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, input, model, "--input-size", size, "--threads", "\(threads)", "--frames", "\(frames)"]
            + (graphOut.map { ["--graph-out", $0] } ?? [])
        // stderr goes to a file: a pipe read only after stdout could fill and stall the child.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-forward-\(getpid()).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: log)
        do {
            try process.run()
        } catch {
            throw VideoSegError.invalidOption("/usr/bin/python3: cannot start (\(error.localizedDescription))")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0,
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let frozen = object["frozen_ms"] as? Double, let optimized = object["optimized_ms"] as? Double
        else {
            let last = errorText.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
            throw VideoSegError.invalidOption("bench: forward_reference.py failed: \(last)")
        }
        return ForwardReference(frozenMilliseconds: frozen, optimizedMilliseconds: optimized)
    }
}
