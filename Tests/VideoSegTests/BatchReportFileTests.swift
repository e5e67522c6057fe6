import Foundation
import Testing

@testable import VideoSegBatch
@testable import VideoSegCore

/// The report's rewrite after every video: other batches' lines kept in their order, this
/// batch's replaced, and the bytes what a plain encoding of every outcome gives, although the
/// batch's own lines are encoded once and not decoded again.
@Suite struct BatchReportFileTests {
    static func outcome(_ input: String, _ status: BatchOutcome.Status, seconds: Double = 0) -> BatchOutcome {
        BatchOutcome(input: input, outputs: [input + ".out"], status: status, frames: 3, seconds: seconds, fps: 0, error: nil,
                     phases: ["frames": seconds])
    }

    static func line(_ outcome: BatchOutcome) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(outcome), as: UTF8.self)
    }

    @Test func otherBatchesLinesStayAndOursAreReplaced() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("batch-report.jsonl")
        let foreign = try Self.line(Self.outcome("/other/x.mp4", .done))
        // A line another batch wrote, this batch's input from an earlier run, and a damaged line.
        let stale = try Self.line(Self.outcome("/in/a.mp4", .failed))
        try (foreign + "\n" + stale + "\n{not json\n").write(toFile: path, atomically: true, encoding: .utf8)
        let report = BatchReportFile(path: path, inputs: [BatchInput(source: "/in/a.mp4", name: "a"), BatchInput(source: "/in/b.mp4", name: "b")])
        var outcomes = [0: Self.outcome("/in/a.mp4", .done, seconds: 1)]
        try report.write(outcomes, count: 2)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == [foreign, try Self.line(outcomes[0]!)].map { $0 + "\n" }.joined())

        // Another batch adds a line between our rewrites; our first outcome changes (its report
        // phase is added), the second arrives.
        let later = try Self.line(Self.outcome("/other/y.mp4", .skipped))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((later + "\n").utf8))
        try handle.close()
        outcomes[0]?.phases?["report"] = 0.001
        outcomes[1] = Self.outcome("/in/b.mp4", .done, seconds: 2)
        try report.write(outcomes, count: 2)
        let expected = [foreign, later, try Self.line(outcomes[0]!), try Self.line(outcomes[1]!)].map { $0 + "\n" }.joined()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
        // Unchanged outcomes, written again: the same bytes.
        try report.write(outcomes, count: 2)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
    }
}
