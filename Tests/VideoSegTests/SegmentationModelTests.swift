import Foundation
import Testing

@testable import VideoSeg

@Suite struct SegmentationModelTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func define(_ source: String, labels: [String] = ["r", "g", "b"]) throws -> SegmentationModel {
        let path = folder.appendingPathComponent("\(UUID().uuidString).pt").path
        try SegmentationModel.define(source: source, metadata: ModelMetadata(labels: labels, mean: [0, 0, 0], std: [1, 1, 1]), path: path)
        return try SegmentationModel(path: path)
    }

    /// A 4×2 RGB input, channel-major: pixel i's largest channel is `expected[i]`.
    static let input: [Float] = [
        9, 0, 0, 1, 0, 5, 0, 0,  // red
        0, 9, 0, 0, 3, 0, 7, 0,  // green
        0, 0, 9, 0, 0, 0, 0, 4,  // blue
    ]
    static let expected: [UInt8] = [0, 1, 2, 0, 1, 0, 1, 2]

    func classes(_ model: SegmentationModel) throws -> [UInt8] {
        try model.prepare(width: 4, height: 2)
        var map = [UInt8](repeating: 255, count: model.classMapCount)
        try Self.input.withUnsafeBufferPointer { input in
            try map.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
        }
        return map
    }

    @Test(arguments: [
        "def forward(self, x):\n    return x\n",
        "def forward(self, x) -> Dict[str, Tensor]:\n    return {\"out\": x, \"aux\": x * 0}\n",
        "def forward(self, x) -> Tuple[Tensor, Tensor]:\n    return (x, x * 0)\n",
    ])
    func tensorDictAndTupleOutputsGiveTheArgmax(source: String) throws {
        let model = try define(source)
        #expect(try classes(model) == Self.expected)
        #expect(model.outputShape == [1, 3, 2, 4])
        #expect(model.metadata.labels == ["r", "g", "b"])
    }

    @Test func outputThatIsNotFourDimensionalIsRefused() throws {
        let model = try define("def forward(self, x):\n    return x[0]\n")
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message.contains("expected [N,C,H,W]")
        }
    }

    @Test func dictWithoutOutIsRefused() throws {
        let model = try define("def forward(self, x) -> Dict[str, Tensor]:\n    return {\"logits\": x}\n")
        #expect(throws: VideoSegError.self) { try model.prepare(width: 4, height: 2) }
    }

    @Test func labelsMustMatchTheClasses() throws {
        let model = try define("def forward(self, x):\n    return x\n", labels: ["only", "two"])
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.modelMetadata(_, let message) = error else { return false }
            return message == "2 labels but the model outputs 3 classes"
        }
    }

    @Test func scoresAreTheRawOutput() throws {
        let model = try define("def forward(self, x):\n    return x * 2.0 + 1.0\n")
        try model.prepare(width: 4, height: 2)
        let (values, shape) = try Self.input.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }
        #expect(shape == [1, 3, 2, 4])
        #expect(values == Self.input.map { $0 * 2 + 1 })
    }
}
