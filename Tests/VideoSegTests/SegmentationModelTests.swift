import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegModel

/// Tiny TorchScript models defined through the bridge, with outputs known by construction: the
/// identity model's scores are its input, so the class of a pixel is its largest channel.
@Suite struct SegmentationModelTests {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory()
    }

    func define(_ source: String, labels: [String] = ["r", "g", "b"]) throws -> SegmentationModel {
        let path = folder.path("\(UUID().uuidString).pt")
        try SegmentationModel.define(source: source, metadata: ModelMetadata(labels: labels, mean: [0, 0, 0], std: [1, 1, 1]),
                                     path: path)
        return try SegmentationModel(path: path)
    }

    /// A 4×2 RGB input, channel-major ([1,3,2,4]). Pixel i's largest channel is `expected[i]`.
    static let input: [Float] = [
        9, 0, 0, 1, 0, 5, 0, 0,  // R
        0, 9, 0, 0, 3, 0, 7, 0,  // G
        0, 0, 9, 0, 0, 0, 0, 4,  // B
    ]
    static let expected: [UInt8] = [0, 1, 2, 0, 1, 0, 1, 2]

    func segment(_ model: SegmentationModel, _ input: [Float] = input) throws -> [UInt8] {
        var map = [UInt8](repeating: 255, count: model.classMapCount)
        try input.withUnsafeBufferPointer { input in
            try map.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
        }
        return map
    }

    static let identity = "def forward(self, x):\n    return x\n"

    @Test(arguments: [
        identity,
        "def forward(self, x) -> Dict[str, Tensor]:\n    return {\"out\": x}\n",
        "def forward(self, x) -> Dict[str, Tensor]:\n    return {\"aux\": x * 0.0 - x, \"out\": x}\n",
        "def forward(self, x):\n    return (x, x)\n",
        "def forward(self, x):\n    return (x, -x)\n",
        "def forward(self, x):\n    return [x, -x]\n",
    ])
    func tensorDictTupleAndListOutputsGiveTheArgmax(source: String) throws {
        let model = try define(source)
        #expect(model.classMapCount == 0)
        try model.prepare(width: 4, height: 2)
        #expect(model.outputShape == [1, 3, 2, 4])
        #expect(model.inputWidth == 4 && model.inputHeight == 2 && model.batch == 1)
        #expect(model.classMapCount == 8)
        #expect(try segment(model) == Self.expected)
        #expect(model.metadata.labels == ["r", "g", "b"])
    }

    @Test func unoptimisedPrepareGivesTheSameClasses() throws {
        let model = try define(Self.identity)
        try model.prepare(width: 4, height: 2, optimize: false)
        #expect(try segment(model) == Self.expected)
    }

    @Test func aSmallerOutputGivesASmallerClassMap() throws {
        // Every other pixel of every other row: pixels (0,0) and (2,0), classes 0 and 2.
        let model = try define("def forward(self, x):\n    return x[:, :, ::2, ::2]\n")
        try model.prepare(width: 4, height: 2)
        #expect(model.outputShape == [1, 3, 1, 2])
        #expect(model.classMapCount == 2)
        #expect(try segment(model) == [0, 2])
    }

    @Test func aBatchOfTwo() throws {
        let model = try define(Self.identity)
        try model.prepare(width: 4, height: 2, batch: 2)
        #expect(model.outputShape == [2, 3, 2, 4])
        #expect(model.classMapCount == 16)
        // The second picture's channels are rotated (R←B, G←R, B←G), so class c becomes c+1 mod 3.
        let second = Array(Self.input[16..<24] + Self.input[0..<8] + Self.input[8..<16])
        #expect(try segment(model, Self.input + second) == Self.expected + [1, 2, 0, 1, 2, 1, 2, 0])
    }

    @Test func scoresAreTheRawOutput() throws {
        let model = try define("def forward(self, x):\n    return x * 2.0 + 1.0\n")
        try model.prepare(width: 4, height: 2)
        let (values, shape) = try Self.input.withUnsafeBufferPointer { try model.scores($0.baseAddress!) }
        #expect(shape == [1, 3, 2, 4])
        #expect(values == [
            19, 1, 1, 3, 1, 11, 1, 1,
            1, 19, 1, 1, 7, 1, 15, 1,
            1, 1, 19, 1, 1, 1, 1, 9,
        ])
    }

    @Test func aThreeDimensionalOutputIsRefused() throws {
        let model = try define("def forward(self, x):\n    return x[0]\n")
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.model(let path, let message) = error else { return false }
            return path == model.path && message.contains("expected [N,C,H,W]") && message.contains("[1,3,2,4]")
                && !message.contains("\n")
        }
    }

    @Test func aDictWithoutOutIsRefused() throws {
        let model = try define("def forward(self, x) -> Dict[str, Tensor]:\n    return {\"logits\": x}\n")
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message.contains("\"out\"")
        }
    }

    @Test func labelsMustMatchTheClasses() throws {
        let model = try define(Self.identity, labels: ["only", "two"])
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.modelMetadata(let path, let message) = error else { return false }
            return path == model.path && message.contains("labels") && message == "2 labels but the model outputs 3 classes"
        }
    }

    @Test func moreThan256ClassesDoNotFitAClassMap() throws {
        let labels = (0..<258).map { "c\($0)" }
        let model = try define("def forward(self, x):\n    return x.repeat(1, 86, 1, 1)\n", labels: labels)
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message == "258 classes do not fit an 8-bit class map"
        }
    }

    @Test func aClassMapBufferThatIsTooSmallIsAnErrorNotAnOverflow() throws {
        let model = try define(Self.identity)
        try model.prepare(width: 4, height: 2)
        var map = [UInt8](repeating: 255, count: 7)
        #expect {
            try Self.input.withUnsafeBufferPointer { input in
                try map.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
            }
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message.hasPrefix("forward failed") && message.contains("too small")
        }
        #expect(map == [UInt8](repeating: 255, count: 7))
    }

    @Test func threadCountIsAppliedForEachForward() throws {
        let model = try define(Self.identity)
        #expect(model.threads == 1)
        model.threads = 2
        try model.prepare(width: 4, height: 2)
        #expect(try segment(model) == Self.expected)
    }

    /// An exception raised inside TorchScript names its cause, not only "The following
    /// operation failed in the TorchScript interpreter."
    @Test func aTorchScriptExceptionReportsItsCause() throws {
        // prepare()'s warm-up forward runs on zeros, so the model raises there already.
        // Module.define knows no exception classes (no Python resolver); `assert` raises one.
        let model = try define("def forward(self, x):\n    assert bool(x.sum() < -1e30), \"boom from the model\"\n    return x\n")
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            let text = "\(error)"
            return text.contains("AssertionError: boom from the model") && !text.contains("\n")
                && !text.contains("The following operation failed")
        }
    }

    /// An operator that fails inside the interpreter (a shape mismatch) also names its cause.
    @Test func aFailingOperatorInsideTorchScriptReportsItsCause() throws {
        let model = try define("def forward(self, x):\n    return x + x[:, :, :1, :1].reshape([5])\n")
        #expect {
            try model.prepare(width: 4, height: 2)
        } throws: { error in
            let text = "\(error)"
            return text.contains("shape '[5]' is invalid") && !text.contains("\n")
        }
    }

    /// NaN and infinite scores are made finite before the argmax (so nothing downstream sees
    /// them) and the frames are counted for one warning that names them.
    @Test func nonFiniteScoresAreCountedAndMadeFinite() throws {
        // NaN (0 / 0) where the red channel is 9 and above, else the input.
        let model = try define("def forward(self, x):\n    if bool(x[0, 0, 0, 0] > 8.0):\n        return x / 0.0 * 0.0\n    return x\n")
        try model.prepare(width: 4, height: 2)
        #expect(model.warnings.isEmpty)
        var darker = Self.input
        darker[0] = 2
        var scores = [Float](repeating: 1, count: model.scoreCount)
        for input in [darker, Self.input, Self.input, darker, Self.input] {
            var map = [UInt8](repeating: 255, count: model.classMapCount)
            try input.withUnsafeBufferPointer { input in
                try map.withUnsafeMutableBufferPointer { map in
                    try scores.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: map, scores: $0) }
                }
            }
            if input == Self.input {
                #expect(scores.allSatisfy { $0 == 0 }, "NaN scores become 0")
                #expect(map == [UInt8](repeating: 0, count: 8))
            }
        }
        #expect(model.framesSegmented == 5 && model.nonFiniteFrames == 3)
        #expect(model.warnings.count == 1)
        #expect(model.warnings.first?.contains("NaN or infinite in 3 of 5 frames (frames 1-2, 4)") == true, "\(model.warnings)")
        try model.prepare(width: 4, height: 2)
        #expect(model.warnings.isEmpty, "prepare starts a new count")
    }
}
