import Foundation
import Testing

@testable import VideoSegBatch
@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegPipeline

/// `batch --serve`'s protocol in-process: job lines in, one report line out for each, whatever
/// the line or the video does to the worker; the worker keeps serving until its input ends.
@Suite struct BatchServerTests {
    let folder: TemporaryDirectory
    let runner: BatchRunner

    init() throws {
        folder = try TemporaryDirectory()
        let model = folder.path("picky.pt")
        // The channel model, except that it fails on a white picture (a model error mid-stream).
        try SegmentationModel.define(
            source: """
                def forward(self, x):
                    assert bool(x.mean() < 0.9), "the test model refuses white pictures"
                    return x

                """,
            metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .fixed(width: 16, height: 12)),
            path: model)
        // The jobs' inputs are lavfi graphs: no files to make, and no done-records (they have no size or time).
        var template = SegmentConfiguration(input: "", output: "video.mp4", modelPath: model)
        template.inputFormat = "lavfi"
        template.threads = 1
        template.preparationCache = nil
        runner = BatchRunner(template: template, inputs: [], outputDirectory: folder.path("out"), jobs: 1)
    }

    static func picture(_ color: String) -> String { "color=c=\(color):s=64x48:r=10:d=1" }

    /// The answers to `text` as the server's input (a pipe, closed after it), parsed.
    func answers(to text: String) throws -> [[String: Any]] {
        let pipe = Pipe()
        try pipe.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try pipe.fileHandleForWriting.close()
        let replies = Locked<[Data]>([])
        let count = BatchServer(runner: runner).serve(pipe.fileHandleForReading) { reply in replies.withLock { $0.append(reply) } }
        #expect(count == replies.current.count)
        return try replies.current.map { reply in
            #expect(reply.last == 0x0A && reply.dropLast().firstIndex(of: 0x0A) == nil, "one line per answer")
            return try #require(try JSONSerialization.jsonObject(with: reply) as? [String: Any])
        }
    }

    @Test func everyLineGetsOneAnswerAndTheWorkerOutlivesBadLinesAndFailingVideos() throws {
        let lines = [
            #"{"input": "\#(Self.picture("red"))", "name": "first", "id": "a"}"#,
            "this is not JSON",
            #"{"name": "no-input"}"#,
            #"{"input": "\#(Self.picture("red"))", "name": "../outside", "id": "b"}"#,
            "",
            #"{"input": "\#(Self.picture("white"))", "name": "white", "id": "c"}"#,
            #"{"input": "\#(Self.picture("blue"))", "name": "sub/last", "id": "d"}"#,
        ]
        let replies = try answers(to: lines.joined(separator: "\n") + "\n")
        try #require(replies.count == 6)
        #expect(replies.map { $0["status"] as? String } == ["done", "failed", "failed", "failed", "failed", "done"])
        #expect(replies.map { $0["id"] as? String } == ["a", nil, nil, "b", "c", "d"])
        #expect(replies[1]["error"] as? String == "job line 2 is not a job (expected JSON with an \"input\" path): not valid JSON")
        #expect(replies[2]["error"] as? String == "job line 3 is not a job (expected JSON with an \"input\" path): no \"input\"")
        #expect((replies[3]["error"] as? String ?? "").hasSuffix(
            "job line 4: the name \"../outside\" has an empty, \".\" or \"..\" part; it must be a path below the output folder"))
        let modelError = replies[4]["error"] as? String ?? ""
        #expect(modelError.contains("picky.pt") && modelError.contains("the test model refuses white pictures"), "\(modelError)")
        #expect(replies[0]["frames"] as? Int == 10 && replies[5]["frames"] as? Int == 10)

        // The done videos are where their names say; the failed one left nothing, nothing left outside.
        let out = folder.path("out")
        #expect(FileManager.default.fileExists(atPath: out + "/first.segmented.mp4"))
        #expect(FileManager.default.fileExists(atPath: out + "/sub/last.segmented.mp4"))
        let left = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).sorted()
        #expect(left == ["first.segmented.mp4", "sub", "sub/last.segmented.mp4"], "\(left)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("outside.segmented.mp4")))
        // One model served every video.
        #expect(runner.modelsLoaded == 1)
    }

    @Test func theEndOfInputEndsTheServerAfterItsLastLine() throws {
        #expect(try answers(to: "").isEmpty)
        // A last line without its line break is still a job.
        let replies = try answers(to: #"{"input": "\#(Self.picture("green"))", "name": "unterminated"}"#)
        #expect(replies.map { $0["status"] as? String } == ["done"])
        #expect(replies.first?["id"] == nil)
    }

    @Test func aStoppedRunnerAnswersNoMoreLines() throws {
        runner.requestStop()
        #expect(try answers(to: #"{"input": "\#(Self.picture("red"))"}"# + "\n").isEmpty)
    }

    /// Each video's line says where its time went: every phase of the run and of the batch's
    /// steps, the frames phase being the run's `seconds`, the model loaded by the first video only
    /// (the second borrows it prepared), and the phases adding up to no more than the video's wall time.
    @Test func aReportLineBreaksTheVideosTimeIntoPhases() throws {
        let lines = [#"{"input": "\#(Self.picture("red"))", "name": "one"}"#, #"{"input": "\#(Self.picture("blue"))", "name": "two"}"#]
        var walls: [Double] = []
        var replies: [[String: Any]] = []
        for line in lines {
            let started = monotonicSeconds()
            replies += try answers(to: line + "\n")
            walls.append(monotonicSeconds() - started)
        }
        try #require(replies.count == 2)
        let expected = Set(RunPhase.allCases.map(\.rawValue) + BatchPhase.allCases.map(\.rawValue)).subtracting([BatchPhase.report.rawValue])
        for (reply, wall) in zip(replies, walls) {
            let phases = try #require(reply["phases"] as? [String: Double])
            #expect(Set(phases.keys) == expected, "\(phases.keys.sorted())")
            #expect(phases.values.allSatisfy { $0 >= 0 })
            #expect(abs((phases["frames"] ?? -1) - (reply["seconds"] as? Double ?? 0)) < 0.0002)
            #expect(phases.values.reduce(0, +) <= wall + 0.001, "\(phases) in \(wall) s")
        }
        let first = try #require(replies[0]["phases"] as? [String: Double]), second = try #require(replies[1]["phases"] as? [String: Double])
        #expect(second["model"]! < first["model"]!, "the second video borrows the prepared model: \(first) then \(second)")
        #expect(runner.modelsLoaded == 1)
    }

    @Test func namesMustStayBelowTheOutputFolder() {
        #expect(BatchServer.nameProblem("a/b.mov") == nil)
        for bad in ["", "/abs", "a/../b", "./a", "a//b", "a/"] {
            #expect(BatchServer.nameProblem(bad) != nil, "\(bad)")
        }
    }
}
