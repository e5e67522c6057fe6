import CFFmpeg
import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// The bundled person-segmentation models (MediaPipe selfie segmentation, converted).
    @Suite struct DefaultModel {
        static let goldens = repositoryRoot.appendingPathComponent("Tests/Support/mediapipe").path
        static let sample = repositoryRoot.appendingPathComponent("Samples/sample.mp4").path

        /// The person probability the model gives for the picture at `image`, as the pipeline
        /// feeds it (decode, swscale, normalise), row-major.
        func personProbability(model name: String, image: String) throws -> (values: [Float], width: Int, height: Int) {
            let model = try SegmentationModel(path: try DefaultModels.path(named: name))
            model.threads = 1
            guard case .fixed(let width, let height) = model.metadata.inputSize else {
                throw HarnessError.tool("\(name) has no fixed input size")
            }
            try model.prepare(width: width, height: height)
            let tensor = try modelInput(image: image, model: model, width: width, height: height)
            let (scores, shape) = try tensor.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }
            #expect(shape == [1, 2, height, width])
            return (Array(scores[(width * height)...]), width, height)
        }

        @Test(arguments: [(DefaultModels.square, "256x256"), (DefaultModels.landscape, "256x144")],
              ["astronaut", "grace_hopper"])
        func matchesMediaPipesOwnRuntime(model: (name: String, size: String), photo: String) throws {
            let stem = "\(Self.goldens)/\(photo)_\(model.size)"
            let ours = try personProbability(model: model.name, image: "\(stem).png")
            let golden = try Probe.rawFrames("\(stem).person.png", pixelFormat: "gray16le")
            try #require(golden.count == ours.width * ours.height * 2)
            let reference = golden.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }.map { Float($0) / 65535 }
            let difference = zip(ours.values, reference).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            print("MediaPipe parity \(model.name) \(photo): max |p − p_mediapipe| = \(difference)")
            #expect(difference <= 1e-3)
            // The picture really is part person, part background.
            let person = reference.filter { $0 > 0.5 }.count
            #expect(person > reference.count / 5 && person < reference.count * 4 / 5)
        }

        @Test func sampleIsSegmentedLikeMediaPipeDoes() throws {
            let scratch = try Scratch()
            let masks = scratch.path("masks")
            let stats = scratch.path("stats.json")
            // No --model: the bundled default, the landscape variant for this 16:9 clip.
            let run = try videoseg(["segment", Self.sample, "--no-video", "--masks", masks, "--mask-format", "video",
                                    "--max-frames", "226", "--threads", "1", "--stats-json", stats])
            try #require(run.status == 0, "\(run.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats))) as? [String: Any]
            #expect((json?["model"] as? String)?.hasSuffix("Models/selfie_segmentation_landscape.pt") == true)
            let ours = Array(try Probe.rawFrames("\(masks)/masks.mkv", pixelFormat: "gray"))
            let plane = 1280 * 720
            try #require(ours.count == 226 * plane)
            for frame in [25, 75, 150, 225] {
                let reference = Array(try Probe.rawFrames(String(format: "%@/sample_%03d.mask.png", Self.goldens, frame), pixelFormat: "gray"))
                try #require(reference.count == plane)
                var intersection = 0, union = 0
                for i in 0..<plane {
                    let a = ours[frame * plane + i] == 1, b = reference[i] > 127
                    if a && b { intersection += 1 }
                    if a || b { union += 1 }
                }
                let iou = Double(intersection) / Double(max(1, union))
                print("sample frame \(frame): IoU with MediaPipe \(iou)")
                #expect(iou >= 0.9, "frame \(frame): IoU \(iou)")
            }
        }

        @Test func modelInfoShowsTheRealLabelsAndSize() throws {
            let run = try videoseg(["model", "info"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("labels (2): background, person"))
            #expect(run.stdout.contains("input size: 256x256 (fixed"))
            #expect(run.stdout.contains("input size: 256x144 (fixed"))
        }

        @Test func inputSizeIsRefusedForAFixedSizeModel() throws {
            let scratch = try Scratch()
            let input = scratch.path("in.mp4")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-frames:v", "2", "-c:v", "libx264", input])
            let run = try videoseg(["segment", input, "-o", scratch.path("o.mp4"), "--input-size", "320"])
            #expect(run.status == 1)
            #expect(run.stderr.contains("works only at 256x256"), "\(run.stderr)")
            #expect(scratch.contents() == ["in.mp4"])
        }

        @Test func portraitVideoGetsTheSquareModel() throws {
            #expect(DefaultModels.name(forUprightWidth: 1280, height: 720) == DefaultModels.landscape)
            #expect(DefaultModels.name(forUprightWidth: 720, height: 1280) == DefaultModels.square)
            #expect(DefaultModels.name(forUprightWidth: 640, height: 480) == DefaultModels.square)
            #expect(DefaultModels.name(forUprightWidth: 1920, height: 800) == DefaultModels.landscape)
        }
    }
}

extension EndToEnd.DefaultModel {
    /// Freezing (and, where it is faster, optimising) the graph must not change the answer.
    @Test(arguments: [DefaultModels.square, DefaultModels.landscape])
    func optimisedGraphGivesTheSameClassMap(name: String) throws {
        let path = try DefaultModels.path(named: name)
        let size = name == DefaultModels.square ? "256x256" : "256x144"
        let image = "\(Self.goldens)/astronaut_\(size).png"
        var maps: [[UInt8]] = []
        var scores: [[Float]] = []
        for optimize in [false, true] {
            let model = try SegmentationModel(path: path)
            model.threads = 1
            guard case .fixed(let width, let height) = model.metadata.inputSize else { throw HarnessError.tool("no size") }
            try model.prepare(width: width, height: height, optimize: optimize)
            #expect(optimize || model.optimization == "as loaded")
            let tensor = try modelInput(image: image, model: model, width: width, height: height)
            var map = [UInt8](repeating: 0, count: model.classMapCount)
            try tensor.withUnsafeBufferPointer { input in
                try map.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
            }
            maps.append(map)
            scores.append(try tensor.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }.values)
        }
        #expect(maps[0] == maps[1])
        let difference = zip(scores[0], scores[1]).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        #expect(difference < 1e-4, "optimised graph differs by \(difference)")
    }
}
