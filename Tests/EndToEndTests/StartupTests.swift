import Foundation
import Testing

extension EndToEnd {
    /// Start-up: the graph choice measured by the first run is kept for the next, and the
    /// statistics tell how long the start took and where each stage's time went.
    @Suite struct Startup {
        func statistics(_ path: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        }

        @Test func theSecondRunTakesTheGraphChoiceFromTheCache() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=0.6", "-c:v", "ffv1", input])
            let model = try makeChannelModel(in: scratch)
            var environment = ProcessInfo.processInfo.environment
            environment["VIDEOSEG_CACHE_DIR"] = scratch.path("cache")
            var preparations: [String] = []
            for run in 0..<2 {
                let stats = scratch.path("stats\(run).json")
                let result = try runProcess(videosegBinary, ["segment", input, "-o", scratch.path("out\(run).mkv"), "--model", model,
                                                             "--stats-json", stats], environment: environment)
                try #require(result.status == 0, "\(result.stderr)")
                let figures = try statistics(stats)
                preparations.append(figures["model_preparation"] as? String ?? "")
                let startup = try #require(figures["startup_seconds"] as? Double)
                #expect(startup > 0 && startup < 120)
                #expect((figures["model_prepare_seconds"] as? Double ?? -1) > 0)
                #expect((figures["run_cpu_seconds"] as? Double ?? -1) > 0)
                let timings = try #require(figures["stage_timing"] as? [String: [String: Double]])
                #expect(Set(timings.keys) == ["source", "preprocess", "inference", "scores", "render", "encode"])
                for (stage, timing) in timings {
                    let lifetime = timing["thread_seconds"] ?? 0, busy = timing["busy_seconds"] ?? 0
                    #expect(lifetime > 0 && busy <= lifetime + 0.01, "\(stage): \(timing)")
                    #expect((timing["waiting_for_input_seconds"] ?? 0) + busy <= lifetime + 0.01, "\(stage): \(timing)")
                }
            }
            #expect(preparations == ["measured", "cached"])
            #expect(FileManager.default.fileExists(atPath: scratch.path("cache/preparation.json")))

            // An empty VIDEOSEG_CACHE_DIR turns the cache off: measured every run.
            environment["VIDEOSEG_CACHE_DIR"] = ""
            let stats = scratch.path("off.json")
            let result = try runProcess(videosegBinary, ["segment", input, "-o", scratch.path("off.mkv"), "--model", model,
                                                         "--stats-json", stats], environment: environment)
            try #require(result.status == 0, "\(result.stderr)")
            #expect(try statistics(stats)["model_preparation"] as? String == "measured")
        }
    }
}
