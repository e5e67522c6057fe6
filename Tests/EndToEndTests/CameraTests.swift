import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// `videoseg camera` through FFmpeg's real v4l2 input, on the fake camera (LD_PRELOAD).
    @Suite struct Camera {
        static let device = "/dev/video-fake"

        func camera(_ arguments: [String], scratch: Scratch, settings: [String: String] = [:]) throws -> ProcessOutput {
            try #require(!fakeCameraLibrary.isEmpty, "the fake camera library did not build")
            var environment = settings
            environment["FAKE_V4L2_STATS"] = scratch.path("device.json")
            return try runProcess(videosegBinary, ["camera", Self.device] + arguments, environment: fakeCameraEnvironment(environment))
        }

        func json(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        }

        /// The frame numbers the fake camera wrote into the top rows of each recorded frame.
        func frameNumbers(_ recording: String) throws -> [Int] {
            let luma = Array(try Probe.rawFrames(recording, pixelFormat: "gray"))
            let width = 320, plane = 320 * 240, block = width / 32
            return stride(from: 0, to: luma.count - plane + 1, by: plane).map { base in
                (0..<32).reduce(0) { number, bit in
                    let value = luma[base + 8 * width + bit * block + block / 2]
                    return number << 1 | (value > 128 ? 1 : 0)
                }
            }
        }

        @Test func recordsTheCapturedFramesWithTheirTimesAndTheOverlay() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch, inputSize: .fixed(width: 320, height: 240))
            let baseline = scratch.path("plain.mkv"), tinted = scratch.path("tinted.mkv")
            for (output, alpha) in [(baseline, "0"), (tinted, "0.5")] {
                let run = try camera(["-o", output, "--codec", "ffv1", "--edges", "hard", "--duration", "1.5", "--model", model, "--threads", "1",
                                      "--alpha", alpha, "--stats-json", scratch.path("stats.json"), "--overwrite"], scratch: scratch)
                try #require(run.status == 0, "\(run.stderr)")
                #expect(run.stderr.contains("live: capture"), "no status line: \(run.stderr)")
            }
            let stats = try json(scratch.path("stats.json"))
            let recorded = try frameNumbers(tinted)
            #expect(recorded.count == stats["frames"] as? Int)
            #expect(recorded.count > 20)
            #expect(zip(recorded, recorded.dropFirst()).allSatisfy { $0 < $1 }, "frame numbers \(recorded)")
            // Capture times: between recorded frames, exactly the capture interval (frame numbers
            // at 30 fps); the recording starts at zero at the first captured frame, which may have
            // been dropped in favour of a newer one.
            let times = try Probe.frameTimes(tinted)
            try #require(times.count == recorded.count)
            #expect(times[0] >= 0 && times[0] < 0.5, "first frame at \(times[0]) s")
            for index in 1..<times.count {
                let expected = Double(recorded[index] - recorded[index - 1]) / 30
                let gap = times[index] - times[index - 1]
                #expect(abs(gap - expected) < 0.006, "frames \(recorded[index - 1])→\(recorded[index]): \(gap) s, expected \(expected)")
            }
            // Red bar untouched; green and blue bars blended with VOC colours 1 and 2.
            func pixel(_ file: String, x: Int, y: Int) throws -> [Int] {
                let data = Array(try Probe.rawFrames(file, pixelFormat: "yuv444p"))
                let plane = 320 * 240
                return (0..<3).map { Int(data[$0 * plane + y * 320 + x]) }
            }
            func blend(_ value: [Int], _ color: [Int]) -> [Int] { zip(value, color).map { ($0 * 128 + $1 * 128 + 128) >> 8 } }
            for (x, color) in [(50, nil), (160, [49, 109, 184]), (270, [81, 91, 81])] as [(Int, [Int]?)] {
                let before = try pixel(baseline, x: x, y: 120)
                let after = try pixel(tinted, x: x, y: 120)
                #expect(after == (color.map { blend(before, $0) } ?? before), "x \(x): \(before) → \(after)")
            }
        }

        @Test func slowInferenceDropsFramesAndTheCountsAddUp() throws {
            let scratch = try Scratch()
            // About 30 ms of pooling per frame at 320x240 on top of the channel model: slower than 30 fps.
            let model = scratch.path("slow.pt")
            try SegmentationModel.define(
                source: """
                    def forward(self, x):
                        y = x
                        for i in range(60):
                            y = torch.avg_pool2d(y, [3, 3], [1, 1], [1, 1])
                        return x + y * 0.0

                    """,
                metadata: ModelMetadata(labels: ["red", "green", "blue"], mean: [0, 0, 0], std: [1, 1, 1],
                                        inputSize: .fixed(width: 320, height: 240)),
                path: model)
            let stats = scratch.path("stats.json")
            let run = try camera(["--no-video", "--masks", scratch.path("masks"), "--duration", "2", "--model", model, "--threads", "1",
                                  "--stats-json", stats], scratch: scratch)
            try #require(run.status == 0, "\(run.stderr)")
            let ours = try json(stats), device = try json(scratch.path("device.json"))
            let processed = ours["masks"] as? Int ?? -1, dropped = ours["frames_dropped"] as? Int ?? -1
            let captured = ours["frames_captured"] as? Int ?? -1
            print("slow camera: captured \(captured), processed \(processed), dropped \(dropped), latency mean \(ours["latency_mean_seconds"] ?? "-") s")
            #expect(dropped > 0)
            #expect(processed + dropped == captured)
            let dequeued = device["dequeued"] as? Int ?? -1
            #expect(captured == dequeued || captured + 1 == dequeued, "captured \(captured), device handed out \(dequeued)")
            // Masks are numbered by processed frame; the manifest names the capture frame.
            let lines = try String(contentsOfFile: scratch.path("masks/manifest.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(lines.count == processed)
            let captureFrames = try lines.map { try (JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["capture_frame"] as? Int ?? -1 }
            #expect(zip(captureFrames, captureFrames.dropFirst()).allSatisfy { $0 < $1 })
            #expect(captureFrames.last ?? 0 > lines.count - 1, "drops should show as gaps: \(captureFrames)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("masks")).filter { $0.hasSuffix(".png") }.count == processed)
        }

        @Test func aDeviceThatDiesMidStreamLeavesAPlayableRecording() throws {
            let scratch = try Scratch()
            let output = scratch.path("cut.mp4")
            let run = try camera(["-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"], scratch: scratch,
                                 settings: ["FAKE_V4L2_FRAMES": "40"])
            #expect(run.status == 3, "\(run.stderr)")
            #expect(run.stderr.contains(Self.device) && run.stderr.contains("No such device"), "\(run.stderr)")
            let frames = try Probe.decodedFrameCount(output)
            #expect(frames > 30 && frames <= 40)
        }

        @Test func ctrlCLeavesAPlayableRecording() throws {
            let scratch = try Scratch()
            let output = scratch.path("stopped.mp4")
            try #require(!fakeCameraLibrary.isEmpty)
            let (run, signalled, _) = try videosegInterrupted(
                ["camera", Self.device, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"],
                signal: SIGINT, after: "live: capture", environment: fakeCameraEnvironment([:]))
            try #require(signalled, "no status line: \(run.stderr)")
            #expect(run.status == 130, "\(run.stderr)")
            #expect(try Probe.decodedFrameCount(output) > 10)
        }

        @Test func aMissingDeviceIsOneLine() throws {
            let scratch = try Scratch()
            let run = try runProcess(videosegBinary, ["camera", "/dev/video-nope", "-o", scratch.path("x.mp4"), "--model",
                                                      try makeChannelModel(in: scratch)])
            #expect(run.status == 1)
            #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("/dev/video-nope: cannot capture: No such file or directory"), "\(run.stderr)")
            #expect(scratch.contents() == ["channels.pt"])
        }

        @Test func listFormatsShowsWhatTheDeviceOffers() throws {
            let scratch = try Scratch()
            let run = try camera(["--list-formats"], scratch: scratch)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("yuyv422") && run.stderr.contains("320x240"), "\(run.stderr)")
        }

        /// Fragmented MP4: a process killed outright still leaves a recording that plays.
        @Test func aKilledProcessLeavesAPlayableRecording() throws {
            let scratch = try Scratch()
            let output = scratch.path("killed.mp4")
            try #require(!fakeCameraLibrary.isEmpty)
            // Three status lines: about three seconds recorded, a fragment (keyframe) each second.
            let (run, signalled, killed) = try videosegInterrupted(
                ["camera", Self.device, "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1"],
                signal: SIGKILL, after: "live: capture", times: 3, environment: fakeCameraEnvironment([:]))
            try #require(signalled, "too few status lines: \(run.stderr)")
            #expect(killed)
            #expect(try Probe.decodedFrameCount(output) > 10)
        }

        /// `segment --live` on a pipe that a live encoder fills in real time.
        @Test func liveSegmentOfAPipe() throws {
            let scratch = try Scratch()
            let fifo = scratch.path("stream.ts")
            try #require(mkfifo(fifo, 0o644) == 0)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
            writer.arguments = ["-v", "error", "-nostdin", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "3",
                                "-c:v", "libx264", "-f", "mpegts", "-y", fifo]
            try writer.run()
            let output = scratch.path("live.mp4"), stats = scratch.path("stats.json")
            let run = try videoseg(["segment", fifo, "--live", "-o", output, "--model", try makeChannelModel(in: scratch), "--threads", "1",
                                    "--stats-json", stats])
            writer.waitUntilExit()
            #expect(run.status == 0, "\(run.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any] ?? [:]
            let frames = json["frames"] as? Int ?? -1, dropped = json["frames_dropped"] as? Int ?? -1
            #expect(frames + dropped == json["frames_captured"] as? Int)
            #expect(try Probe.decodedFrameCount(output) == frames)
            #expect(frames > 0)
        }
    }
}
