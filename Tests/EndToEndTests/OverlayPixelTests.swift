import Foundation
import Testing

extension EndToEnd {
    /// Exact overlay pixels through a lossless path (FFV1 in Matroska, 4:4:4).
    @Suite struct OverlayPixels {
        static let width = 64, height = 48

        /// Left half red (class 0, never tinted), right half blue (class 2 of the channel model).
        func makeInput(_ scratch: Scratch, rotation: Int = 0) throws -> String {
            let input = scratch.path("halves\(rotation).mkv")
            try ffmpeg(["-f", "lavfi", "-i",
                        "color=c=red:size=32x48:rate=10,format=yuv444p[a];color=c=blue:size=32x48:rate=10,format=yuv444p[b];[a][b]hstack",
                        "-frames:v", "5", "-c:v", "ffv1", "-pix_fmt", "yuv444p"] + (rotation != 0 ? ["-metadata:s:v:0", "rotate=\(rotation)"] : []) + [input])
            return input
        }

        struct Planes {
            let data: [UInt8]
            let width: Int, height: Int
            func pixel(frame: Int, x: Int, y: Int) -> (y: Int, u: Int, v: Int) {
                let plane = width * height, base = frame * 3 * plane + y * width + x
                return (Int(data[base]), Int(data[base + plane]), Int(data[base + 2 * plane]))
            }
        }

        func run(_ scratch: Scratch, input: String, extra: [String], inputSize: String = "64x48") throws -> (Planes, Planes) {
            let model = try makeChannelModel(in: scratch)
            let output = scratch.path("out-\(UUID().uuidString).mkv")
            let result = try videoseg(["segment", input, "-o", output, "--model", model, "--codec", "ffv1", "--edges", "hard", "--input-size", inputSize,
                                       "--threads", "1"] + extra)
            try #require(result.status == 0, "\(result.stderr)")
            let before = Planes(data: Array(try Probe.rawFrames(input, pixelFormat: "yuv444p")), width: Self.width, height: Self.height)
            let after = Planes(data: Array(try Probe.rawFrames(output, pixelFormat: "yuv444p")), width: Self.width, height: Self.height)
            try #require(after.data.count == before.data.count)
            return (before, after)
        }

        /// VOC colour of class 2, (0,128,0), in BT.601 limited range, worked out by hand:
        /// Y = 16 + 219·0.587·128/255 = 80.5, U = 128 − 224·0.2947/1.772 = 90.7, V = 128 − 224·0.2947/1.402 = 80.9.
        static let classTwo = (y: 81, u: 91, v: 81)

        func blended(_ value: Int, _ color: Int) -> Int { (value * 128 + color * 128 + 128) >> 8 }

        @Test(arguments: [0, 90, 180, 270])
        func blendTintsOnlyTheBlueHalf(rotation: Int) throws {
            let scratch = try Scratch()
            let input = try makeInput(scratch, rotation: rotation)
            let upright = rotation % 180 == 0 ? "64x48" : "48x64"
            let (before, after) = try run(scratch, input: input, extra: [], inputSize: upright)
            var mismatches: [String] = []
            for frame in 0..<5 {
                for y in 0..<Self.height {
                    for x in 0..<Self.width {
                        let a = before.pixel(frame: frame, x: x, y: y), b = after.pixel(frame: frame, x: x, y: y)
                        let expected = x < 32 ? a : (blended(a.y, Self.classTwo.y), blended(a.u, Self.classTwo.u), blended(a.v, Self.classTwo.v))
                        if b != expected { mismatches.append("frame \(frame) (\(x),\(y)): \(a) → \(b), expected \(expected)") }
                    }
                }
            }
            #expect(mismatches.isEmpty, "rotation \(rotation): \(mismatches.count) pixels differ, e.g. \(mismatches.prefix(3))")
        }

        @Test func maskStyleDrawsColoursOnBlack() throws {
            let scratch = try Scratch()
            let (_, after) = try run(scratch, input: try makeInput(scratch), extra: ["--style", "mask"])
            for (x, y) in [(0, 0), (10, 20), (31, 47)] {
                #expect(after.pixel(frame: 0, x: x, y: y) == (16, 128, 128))
            }
            for (x, y) in [(32, 0), (50, 20), (63, 47)] {
                #expect(after.pixel(frame: 4, x: x, y: y) == Self.classTwo)
            }
        }

        @Test func classesOptionLimitsTheTint() throws {
            let scratch = try Scratch()
            let (before, after) = try run(scratch, input: try makeInput(scratch), extra: ["--classes", "green"])
            #expect(after.data == before.data)
            let unknown = try videoseg(["segment", try makeInput(scratch), "-o", scratch.path("x.mkv"), "--model",
                                        try makeChannelModel(in: scratch), "--classes", "person"])
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("\"person\" is not a class"))
        }

        @Test func alphaOneGivesThePureColour() throws {
            let scratch = try Scratch()
            let (_, after) = try run(scratch, input: try makeInput(scratch), extra: ["--alpha", "1"])
            #expect(after.pixel(frame: 2, x: 40, y: 10) == Self.classTwo)
        }

        @Test func tenBitOutputWhenAskedIsBlendedAtTenBits() throws {
            let scratch = try Scratch()
            let input = scratch.path("halves10.mkv")
            try ffmpeg(["-f", "lavfi", "-i",
                        "color=c=red:size=32x48:rate=10,format=yuv444p[a];color=c=blue:size=32x48:rate=10,format=yuv444p[b];[a][b]hstack",
                        "-frames:v", "3", "-c:v", "ffv1", "-pix_fmt", "yuv444p10le", input])
            let output = scratch.path("out10.mkv")
            let run = try videoseg(["segment", input, "-o", output, "--model", try makeChannelModel(in: scratch), "--codec", "ffv1", "--edges", "hard",
                                    "--pixel-format", "yuv444p10le", "--input-size", "64x48", "--threads", "1"])
            try #require(run.status == 0, "\(run.stderr)")
            #expect(try Probe(output).video?.pixelFormat == "yuv444p10le")
            func samples(_ file: String) throws -> [Int] {
                try Probe.rawFrames(file, pixelFormat: "yuv444p10le").withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)).map(Int.init) }
            }
            let before = try samples(input), after = try samples(output)
            try #require(before.count == after.count && before.count == 3 * 3 * Self.width * Self.height)
            let plane = Self.width * Self.height
            // Class 2's colour at 10 bits is the 8-bit one shifted up: (324, 364, 324).
            let color = [Self.classTwo.y << 2, Self.classTwo.u << 2, Self.classTwo.v << 2]
            var mismatches = 0
            for frame in 0..<3 {
                for component in 0..<3 {
                    for y in 0..<Self.height {
                        for x in 0..<Self.width {
                            let index = (frame * 3 + component) * plane + y * Self.width + x
                            let expected = x < 32 ? before[index] : blended(before[index], color[component])
                            if after[index] != expected { mismatches += 1 }
                        }
                    }
                }
            }
            #expect(mismatches == 0)
            let refused = try videoseg(["segment", input, "-o", scratch.path("x.mkv"), "--model", try makeChannelModel(in: scratch),
                                        "--pixel-format", "rgb24"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("not a planar YUV format"), "\(refused.stderr)")
        }
    }
}
