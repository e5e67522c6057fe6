import Foundation
import Testing

@testable import VideoSegMedia

extension EndToEnd {
    /// `videoseg camera --virtual-camera`: the fake camera in, FFmpeg's real v4l2 output into the
    /// fake's output device (Tests/Support/fakev4l2), which records every frame written to it.
    @Suite struct VirtualCamera {
        static let camera = "/dev/video-fake"
        static let device = "/dev/video-fake-out"

        /// What the fake output device saw: its statistics and the frames, as written.
        struct Received {
            var stats: [String: Any]
            var frames: [[UInt8]]
        }

        func run(_ arguments: [String], scratch: Scratch, settings: [String: String] = [:]) throws -> ProcessOutput {
            try #require(!fakeCameraLibrary.isEmpty, "the fake camera library did not build")
            var environment = settings
            environment["FAKE_V4L2_OUTPUT_STATS"] = scratch.path("device-out.json")
            environment["FAKE_V4L2_OUTPUT_RECORD"] = scratch.path("device-out.raw")
            return try runProcess(videosegBinary, ["camera", Self.camera] + arguments, environment: fakeCameraEnvironment(environment),
                                  timeout: 120)
        }

        func received(_ scratch: Scratch) throws -> Received {
            let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path("device-out.json")))) as? [String: Any] ?? [:]
            let size = try #require(stats["frame_size"] as? Int)
            let raw = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: scratch.path("device-out.raw")))) ?? Data())
            #expect(size > 0 && raw.count % size == 0, "\(raw.count) bytes are not whole frames of \(size)")
            let frames = stride(from: 0, to: raw.count - size + 1, by: size).map { Array(raw[$0..<($0 + size)]) }
            return Received(stats: stats, frames: frames)
        }

        func stats(_ path: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
        }

        /// The frame number the fake camera stamped in the top rows, read from a luma plane.
        func frameNumber(luma: (Int, Int) -> UInt8, width: Int) -> Int {
            let block = width / 32
            return (0..<32).reduce(0) { number, bit in number << 1 | (luma(bit * block + block / 2, 8) > 128 ? 1 : 0) }
        }

        @Test func everyProcessedFrameReachesTheDeviceTintedWhereTheModelSaysSo() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch, inputSize: .fixed(width: 320, height: 240))
            let statsPath = scratch.path("stats.json")
            let result = try run(["--virtual-camera", Self.device, "--edges", "hard", "--duration", "2", "--model", model, "--threads", "1",
                                  "--stats-json", statsPath], scratch: scratch)
            try #require(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("-> virtual camera \(Self.device)"), "\(result.stderr)")
            // Nothing recorded without -o.
            #expect(scratch.contents().filter { $0.hasSuffix(".mp4") || $0.hasPrefix(".") }.isEmpty, "\(scratch.contents())")
            let ours = try stats(statsPath)
            let device = try received(scratch)
            #expect(device.stats["width"] as? Int == 320 && device.stats["height"] as? Int == 240)
            #expect(device.stats["fourcc"] as? String == "YU12")
            #expect(device.stats["frame_size"] as? Int == 320 * 240 * 3 / 2)
            #expect(device.stats["bad_writes"] as? Int == 0)
            #expect(device.stats["formats_set"] as? Int == 1)
            // One frame per processed frame: written, or skipped because the last write had not ended.
            let processed = try #require(ours["frames_processed"] as? Int)
            let written = try #require(ours["virtual_camera_frames"] as? Int), skipped = try #require(ours["virtual_camera_skipped"] as? Int)
            #expect(device.frames.count == written)
            #expect(written + skipped == processed)
            #expect(written > 20 && skipped <= processed / 10, "written \(written), skipped \(skipped) of \(processed)")
            #expect(ours["frames"] as? Int == 0 && ours["output"] is NSNull)
            // The picture: the fake's frame numbers in order, the red bar (class 0) untouched, the
            // green and blue bars blended with VOC colours 1 and 2 (in BT.601 limited-range YUV).
            let (width, height) = (320, 240)
            var numbers: [Int] = []
            for frame in device.frames {
                numbers.append(frameNumber(luma: { frame[$1 * width + $0] }, width: width))
                func yuv(_ x: Int, _ y: Int) -> [Int] {
                    let chroma = (y / 2) * (width / 2) + x / 2
                    return [Int(frame[y * width + x]), Int(frame[width * height + chroma]), Int(frame[width * height * 5 / 4 + chroma])]
                }
                func blend(_ value: [Int], _ color: [Int]) -> [Int] { zip(value, color).map { ($0 * 128 + $1 * 128 + 128) >> 8 } }
                #expect(yuv(50, 120) == [81, 90, 240])
                #expect(yuv(160, 120) == blend([145, 54, 34], [49, 109, 184]))
                #expect(yuv(270, 120) == blend([41, 240, 110], [81, 91, 81]))
            }
            #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $0 < $1 }, "frame numbers \(numbers)")
        }

        /// A device that takes only YUYV gets YUYV; with -o the recording is written too; the
        /// background blur shows where the model puts the background, the foreground is exact.
        @Test func aYUYVDeviceAndARecordingTogetherWithBlur() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch, inputSize: .fixed(width: 320, height: 240))
            let statsPath = scratch.path("stats.json"), recording = scratch.path("both.mkv")
            let result = try run(["--virtual-camera", Self.device, "-o", recording, "--codec", "ffv1", "--style", "blur", "--edges", "hard",
                                  "--duration", "2", "--model", model, "--threads", "1", "--stats-json", statsPath], scratch: scratch,
                                 settings: ["FAKE_V4L2_OUTPUT_MODE": "yuyv"])
            try #require(result.status == 0, "\(result.stderr)")
            let ours = try stats(statsPath)
            let device = try received(scratch)
            #expect(device.stats["fourcc"] as? String == "YUYV")
            #expect(device.stats["frame_size"] as? Int == 320 * 240 * 2)
            let processed = try #require(ours["frames_processed"] as? Int)
            #expect(ours["frames"] as? Int == processed)
            #expect(try Probe.decodedFrameCount(recording) == processed)
            let written = try #require(ours["virtual_camera_frames"] as? Int), skipped = try #require(ours["virtual_camera_skipped"] as? Int)
            #expect(device.frames.count == written && written + skipped == processed && written > 20)
            let width = 320
            for frame in device.frames {
                func luma(_ x: Int, _ y: Int) -> Int { Int(frame[(y * width + x) * 2]) }
                // Foreground (green and blue bars, classes 1 and 2) kept exactly.
                #expect(luma(160, 120) == 145 && luma(270, 120) == 41)
                #expect(Int(frame[(120 * width + 160) * 2 + 1]) == 54 && Int(frame[(120 * width + 160) * 2 + 3]) == 34)
                // Background: the frame-number stripe (grey, so class 0) is blurred: the camera's
                // black (16) and white (235) blocks become other levels where they meet. The blur
                // takes background samples only (no colour of the bars below spreads in), so the
                // middle of a block wider than the blur keeps its level.
                let stripe = (0..<width).map { luma($0, 8) }
                #expect(stripe.filter { $0 != 16 && $0 != 235 }.count > width / 3, "stripe not blurred: \(stripe)")
                // The red bar, away from its edges, is background that was uniform: unchanged.
                #expect(abs(luma(50, 120) - 81) <= 1)
            }
        }

        @Test(arguments: [
            ("capture", "not an output device: \"VideoSeg fake camera\" is a capture device (a camera)"),
            ("refuse", "format refused: the device takes neither yuv420p nor yuyv422 at 320x240"),
            ("busy", "busy: another program is writing to the device"),
        ])
        func aDeviceThatCannotTakeTheFramesIsOneLine(mode: String, message: String) throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch)
            let result = try run(["--virtual-camera", Self.device, "-o", scratch.path("x.mp4"), "--duration", "5", "--model", model],
                                 scratch: scratch, settings: ["FAKE_V4L2_OUTPUT_MODE": mode])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("\(Self.device): cannot be a virtual camera: \(message)"), "\(result.stderr)")
            // Refused before anything was recorded.
            #expect(!scratch.contents().contains { $0.hasSuffix(".mp4") }, "\(scratch.contents())")
        }

        @Test func aMissingDeviceAndACutOutAreOneLine() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch)
            let missing = try run(["--virtual-camera", "/dev/video-nope", "--model", model], scratch: scratch)
            #expect(missing.status == 1)
            #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
            #expect(missing.stderr.contains("/dev/video-nope: cannot be a virtual camera: no such device"), "\(missing.stderr)")
            let cutout = try run(["--virtual-camera", Self.device, "--style", "cutout", "--model", model], scratch: scratch)
            #expect(cutout.status == 1)
            #expect(cutout.stderr.split(separator: "\n").count == 1, "\(cutout.stderr)")
            #expect(cutout.stderr.contains("--virtual-camera: --style cutout needs an alpha channel")
                && cutout.stderr.contains("use blend, mask, blur, pixelate, replace or matte"), "\(cutout.stderr)")
            #expect(scratch.contents() == ["channels.pt"], "\(scratch.contents())")
        }

        /// Runs `segment ARGUMENTS` under the fake devices, the output device recording into `scratch`.
        func segment(_ arguments: [String], scratch: Scratch) throws -> ProcessOutput {
            try #require(!fakeCameraLibrary.isEmpty, "the fake camera library did not build")
            let environment = ["FAKE_V4L2_OUTPUT_STATS": scratch.path("device-out.json"), "FAKE_V4L2_OUTPUT_RECORD": scratch.path("device-out.raw")]
            return try runProcess(videosegBinary, ["segment"] + arguments, environment: fakeCameraEnvironment(environment), timeout: 120)
        }

        /// `segment --live --virtual-camera`: a stream a live encoder writes into a FIFO in real
        /// time (50 frames: a red third and green two thirds, lossless) goes to the output
        /// device as `camera` sends it: every captured frame processed or dropped, every processed
        /// one written or skipped, at the stream's size, the green tinted and the red untouched.
        @Test func aLiveStreamReachesTheDevice() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch, inputSize: .fixed(width: 160, height: 120))
            let fifo = scratch.path("stream.nut"), statsPath = scratch.path("stats.json")
            try #require(mkfifo(fifo, 0o644) == 0)
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
            writer.arguments = ["-v", "error", "-nostdin", "-re", "-f", "lavfi", "-i", "color=c=red:s=64x120:r=25", "-f", "lavfi",
                                "-i", "color=c=0x00FF00:s=96x120:r=25", "-filter_complex", "[0][1]hstack", "-t", "2",
                                "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-f", "nut", "-y", fifo]
            try writer.run()
            let result = try segment([fifo, "--live", "--virtual-camera", Self.device, "--edges", "hard", "--model", model, "--threads", "1",
                                      "--stats-json", statsPath], scratch: scratch)
            writer.waitUntilExit()
            try #require(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("-> virtual camera \(Self.device)"), "\(result.stderr)")
            // Nothing recorded without -o: no <stem>.segmented.mp4, no hidden partial file.
            #expect(scratch.contents() == ["channels.pt", "device-out.json", "device-out.raw", "stats.json", "stream.nut"], "\(scratch.contents())")
            let ours = try stats(statsPath)
            let device = try received(scratch)
            #expect(device.stats["width"] as? Int == 160 && device.stats["height"] as? Int == 120)
            #expect(device.stats["fourcc"] as? String == "YU12" && device.stats["frame_size"] as? Int == 160 * 120 * 3 / 2)
            #expect(device.stats["bad_writes"] as? Int == 0 && device.stats["formats_set"] as? Int == 1)
            let processed = try #require(ours["frames_processed"] as? Int), dropped = try #require(ours["frames_dropped"] as? Int)
            #expect(ours["frames_captured"] as? Int == 50 && processed + dropped == 50, "\(ours)")
            let written = try #require(ours["virtual_camera_frames"] as? Int), skipped = try #require(ours["virtual_camera_skipped"] as? Int)
            #expect(device.frames.count == written && written + skipped == processed)
            #expect(written >= 25, "written \(written), skipped \(skipped) of \(processed)")
            #expect(ours["frames"] as? Int == 0 && ours["output"] is NSNull)
            let width = 160, height = 120
            for frame in device.frames {
                func yuv(_ x: Int, _ y: Int) -> [Int] {
                    let chroma = (y / 2) * (width / 2) + x / 2
                    return [Int(frame[y * width + x]), Int(frame[width * height + chroma]), Int(frame[width * height * 5 / 4 + chroma])]
                }
                func blend(_ value: [Int], _ color: [Int]) -> [Int] { zip(value, color).map { ($0 * 128 + $1 * 128 + 128) >> 8 } }
                #expect(yuv(30, 60) == [81, 90, 240])
                #expect(yuv(110, 60) == blend([145, 54, 34], [49, 109, 184]))
            }
        }

        /// A recorded video would reach a camera as fast as it decodes: refused, one line, before
        /// anything is opened; `camera` and `segment --live` share the option and its wording.
        @Test func aVirtualCameraWithoutLiveIsAUsageError() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mkv")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "2", "-c:v", "ffv1", input])
            let result = try segment([input, "--virtual-camera", Self.device, "--model", try makeChannelModel(in: scratch)], scratch: scratch)
            #expect(result.status == 64, "\(result.stderr)")
            let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(first == "Error: --virtual-camera takes live input only (--live): a recorded video would reach the camera as fast as it decodes, not at its own pace",
                    "\(result.stderr)")
            #expect(scratch.contents() == ["channels.pt", "in.mkv"], "\(scratch.contents())")
            let help = try videoseg(["segment", "--help"]).stdout, cameraHelp = try videoseg(["camera", "--help"]).stdout
            let option = "--virtual-camera <device>"
            #expect(help.contains(option) && cameraHelp.contains(option))
        }
    }
}
