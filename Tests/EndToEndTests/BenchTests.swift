import Foundation
import Testing

extension EndToEnd {
    /// `videoseg bench` measures and prints; its figures are not asserted, its table is.
    @Suite struct Bench {
        @Test func printsEveryStageTheBoundAndBothRuns() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "8", "-c:v", "libx264", input])
            let json = scratch.path("bench.json")
            let run = try videoseg(["bench", input, "--model", try makeChannelModel(in: scratch), "--threads", "1", "--no-python",
                                    "--json", json])
            #expect(run.status == 0, "\(run.stderr)")
            for line in ["decode", "scale + normalise", "forward + argmax", "render", "encode + mux", "bound:",
                         "VideoSeg, annotated video", "VideoSeg, masks only"] {
                #expect(run.stdout.contains(line), "missing \(line) in \(run.stdout)")
            }
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            #expect(object?["frames"] as? Int == 8)
            #expect((object?["video"] as? [String: Any])?["frames"] as? Int == 8)
            #expect((object?["masks"] as? [String: Any])?["frames"] as? Int == 8)
            #expect(((object?["video"] as? [String: Any])?["peak_rss_kb"] as? Int ?? 0) > 0)
            #expect((object?["bound_ms"] as? Double ?? 0) > 0)
        }
    }
}
