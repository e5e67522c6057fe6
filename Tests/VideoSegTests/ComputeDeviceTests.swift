import CFFmpeg
import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia
@testable import VideoSegModel
@testable import VideoSegPipeline

/// `--device` parsing and resolution, and the errors that say whether the build or the machine
/// lacks CUDA; the compute plan's batch size and precision rules.
@Suite struct ComputeDeviceTests {
    static let cpuOnly = CUDASupport(built: false, devices: 0, libtorchVersion: "1.13.0")
    static let cudaBuildNoDevice = CUDASupport(built: true, devices: 0, libtorchVersion: "2.5.1")
    static let oneGPU = CUDASupport(built: true, devices: 1, libtorchVersion: "2.5.1")

    @Test(arguments: [
        ("auto", DeviceRequest.auto), ("cpu", .cpu), ("CPU", .cpu), ("cuda", .cuda(nil)), ("cuda:0", .cuda(0)), ("cuda:12", .cuda(12)),
    ])
    func devicesParse(text: String, expected: DeviceRequest) {
        #expect(DeviceRequest(parsing: text) == expected)
    }

    @Test(arguments: ["", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cuda0", "mps", "cuda:+1"])
    func malformedDevicesAreRefused(text: String) {
        #expect(DeviceRequest(parsing: text) == nil)
    }

    @Test func autoTakesCUDAOnlyWhereBuildAndMachineHaveIt() throws {
        #expect(try DeviceRequest.auto.resolve(Self.cpuOnly) == .cpu)
        #expect(try DeviceRequest.auto.resolve(Self.cudaBuildNoDevice) == .cpu)
        #expect(try DeviceRequest.auto.resolve(Self.oneGPU) == .cuda(0))
        #expect(try DeviceRequest.cpu.resolve(Self.oneGPU) == .cpu)
        #expect(try DeviceRequest.cuda(nil).resolve(Self.oneGPU) == .cuda(0))
        #expect(DeviceRequest.auto.reason(for: .cpu, Self.cpuOnly) == "auto: this build's libtorch has no CUDA")
        #expect(DeviceRequest.auto.reason(for: .cpu, Self.cudaBuildNoDevice).contains("no CUDA device"))
    }

    /// The one-line error names what is missing: the build's CUDA, or the machine's device.
    @Test func cudaThatCannotBeHadSaysWhatIsMissing() {
        func message(_ request: DeviceRequest, _ support: CUDASupport) -> String? {
            do {
                _ = try request.resolve(support)
                return nil
            } catch let error as VideoSegError {
                return error.description
            } catch {
                return nil
            }
        }
        let noBuild = message(.cuda(nil), Self.cpuOnly)
        #expect(noBuild?.hasPrefix("device cuda: this build's libtorch (1.13.0) has no CUDA") == true, "\(noBuild ?? "")")
        #expect(noBuild?.contains("VIDEOSEG_LIBTORCH") == true)
        let noDevice = message(.cuda(0), Self.cudaBuildNoDevice)
        #expect(noDevice?.hasPrefix("device cuda:0: this build's libtorch has CUDA, but this machine has no CUDA device") == true)
        let noSuchIndex = message(.cuda(2), Self.oneGPU)
        #expect(noSuchIndex == "device cuda:2: this machine has 1 CUDA device(s), cuda:0 to cuda:0")
        for text in [noBuild, noDevice, noSuchIndex] { #expect(text?.contains("\n") == false) }
    }

    /// Debian's libtorch is CPU-only: this is what every CI run sees.
    @Test func debiansLibtorchHasNoCUDA() throws {
        let support = CUDASupport.current
        #expect(!support.built && support.devices == 0)
        #expect(try DeviceRequest.auto.resolve() == .cpu)
    }

    @Test func batchSizeDefaultsByDeviceAndLiveInputKeepsOne() throws {
        var configuration = SegmentConfiguration(input: "in.mp4", output: "out.mp4", modelPath: nil)
        #expect(try configuration.computePlan(Self.cpuOnly) == ComputePlan(device: .cpu, batchSize: 1, half: false,
                                                                             reason: "auto: this build's libtorch has no CUDA"))
        #expect(try configuration.computePlan(Self.oneGPU).batchSize == 4)
        configuration.batchSize = 8
        #expect(try configuration.computePlan(Self.cpuOnly).batchSize == 8)
        configuration.live = true
        #expect(throws: VideoSegError.self) { try configuration.computePlan(Self.oneGPU) }
        configuration.batchSize = nil
        #expect(try configuration.computePlan(Self.oneGPU).batchSize == 1)
    }

    @Test func halfIsForCUDAOnly() throws {
        var configuration = SegmentConfiguration(input: "in.mp4", output: "out.mp4", modelPath: nil)
        configuration.half = true
        #expect(try configuration.computePlan(Self.oneGPU) == ComputePlan(device: .cuda(0), batchSize: 4, half: true,
                                                                            reason: "auto: CUDA device present"))
        #expect {
            try configuration.computePlan(Self.cpuOnly)
        } throws: { error in
            "\(error)".hasPrefix("half precision: float16 runs on CUDA only") && "\(error)".contains("auto: this build's libtorch has no CUDA")
        }
    }
}

/// The bridge's device placement and the batched forward pass, on the CPU: both the CPU's own
/// path and the path CUDA takes (gathered input, tensor-op argmax), which these tests run
/// without a GPU.
@Suite struct BatchedSegmentationTests {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory()
    }

    func define(_ source: String) throws -> SegmentationModel {
        let path = folder.path("\(UUID().uuidString).pt")
        try SegmentationModel.define(source: source, metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1]),
                                     path: path)
        return try SegmentationModel(path: path)
    }

    /// Frame `n` of a 4×2 RGB picture whose classes shift with `n`, ties never arising.
    static func frame(_ n: Int) -> [Float] {
        (0..<3).flatMap { channel in (0..<8).map { pixel in Float((pixel + channel * 5 + n * 3) % 7) + Float(channel) * 0.1 } }
    }

    static func expected(_ n: Int) -> [UInt8] {
        let values = frame(n)
        return (0..<8).map { pixel in
            let scores = (0..<3).map { values[$0 * 8 + pixel] }
            return UInt8(scores.firstIndex(of: scores.max()!)!)
        }
    }

    /// Runs `frames` through `segment(frames:)` in batches of `batch`; class maps (none without
    /// `argmax`) and scores.
    func run(_ model: SegmentationModel, frames: [[Float]], batch: Int, argmax: Bool = true) throws -> (classes: [[UInt8]], scores: [[Float]]) {
        var classes: [[UInt8]] = []
        var scores: [[Float]] = []
        for start in stride(from: 0, to: frames.count, by: batch) {
            let group = Array(frames[start..<min(frames.count, start + batch)])
            let inputs = group.map { values -> UnsafeMutablePointer<Float> in
                let pointer = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
                pointer.initialize(from: values, count: values.count)
                return pointer
            }
            let maps = group.map { _ in UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 8) }
            let scoreBuffers = group.map { _ in UnsafeMutableBufferPointer<Float>.allocate(capacity: 24) }
            defer {
                inputs.forEach { $0.deallocate() }
                maps.forEach { $0.deallocate() }
                scoreBuffers.forEach { $0.deallocate() }
            }
            try model.segment(frames: inputs.map { UnsafePointer($0) }, into: argmax ? maps : nil, scores: scoreBuffers)
            if argmax { classes += maps.map { Array($0) } }
            scores += scoreBuffers.map { Array($0) }
        }
        return (classes, scores)
    }

    /// Seven frames in batches of three (3, 3 and a partial 1) give what seven single frames
    /// give, on the CPU's path and on the path CUDA takes.
    @Test(arguments: [false, true])
    func batchesGiveWhatSingleFramesGive(tensorPath: Bool) throws {
        let frames = (0..<7).map(Self.frame)
        let single = try define("def forward(self, x):\n    return x * 2.0\n")
        try single.place(on: .cpu, half: false, tensorPath: tensorPath)
        try single.prepare(width: 4, height: 2)
        let batched = try define("def forward(self, x):\n    return x * 2.0\n")
        try batched.place(on: .cpu, half: false, tensorPath: tensorPath)
        try batched.prepare(width: 4, height: 2, batch: 3)
        let one = try run(single, frames: frames, batch: 1)
        let three = try run(batched, frames: frames, batch: 3)
        #expect(one.classes == (0..<7).map(Self.expected))
        #expect(three.classes == one.classes)
        #expect(three.scores == one.scores)
        #expect(three.scores[4] == frames[4].map { $0 * 2 })
        #expect(batched.framesSegmented == 7 && batched.deviceDescription == "cpu")
    }

    /// Non-finite scores are counted for the frames that had them, wherever they sit in a batch.
    @Test(arguments: [false, true])
    func nonFiniteFramesAreCountedPerFrameInABatch(tensorPath: Bool) throws {
        // NaN (0 / 0) where the red channel is 0, else the input.
        let model = try define("def forward(self, x):\n    return torch.where(x[:, 0:1] == 0.0, x / x[:, 0:1], x)\n")
        try model.place(on: .cpu, half: false, tensorPath: tensorPath)
        try model.prepare(width: 4, height: 2, batch: 4)
        let frames = (0..<5).map { n in n == 1 || n == 2 || n == 4 ? [0] + Array(repeating: Float(1), count: 23) : [Float](repeating: 1, count: 24) }
        let result = try run(model, frames: frames, batch: 4)
        #expect(model.nonFiniteFrames == 3 && model.framesSegmented == 5)
        #expect(model.warnings.first?.contains("(frames 1-2, 4)") == true, "\(model.warnings)")
        #expect(result.scores.allSatisfy { $0.allSatisfy(\.isFinite) })
    }

    /// Without a class map the bridge skips the argmax but hands over the same scores, made
    /// finite and counted as with one (the scores stage decides the classes when it smooths).
    @Test(arguments: [false, true])
    func scoresWithoutTheArgmaxAreTheSame(tensorPath: Bool) throws {
        let model = try define("def forward(self, x):\n    return torch.where(x[:, 0:1] == 0.0, x / x[:, 0:1], x * 2.0)\n")
        try model.place(on: .cpu, half: false, tensorPath: tensorPath)
        try model.prepare(width: 4, height: 2, batch: 2)
        let frames = (0..<3).map(Self.frame) + [[0] + Array(repeating: Float(1), count: 23)]
        let with = try run(model, frames: frames, batch: 2)
        let counted = model.nonFiniteFrames
        let without = try run(model, frames: frames, batch: 2, argmax: false)
        #expect(without.scores == with.scores && without.classes.isEmpty)
        #expect(without.scores.allSatisfy { $0.allSatisfy(\.isFinite) })
        #expect(counted >= 1 && model.nonFiniteFrames == 2 * counted && model.framesSegmented == 8)
    }

    @Test func cudaOnThisBuildIsAnErrorThatSaysSo() throws {
        let model = try define("def forward(self, x):\n    return x\n")
        #expect {
            try model.place(on: .cuda(0))
        } throws: { error in
            "\(error)".contains("cannot run on cuda:0: this build's libtorch (1.13") && "\(error)".contains("has no CUDA")
        }
        #expect {
            try model.place(on: .cpu, half: true)
        } throws: { error in
            "\(error)".contains("float16 runs on CUDA only")
        }
        // Still usable on the CPU after the refusals.
        try model.prepare(width: 4, height: 2)
        #expect(model.device == .cpu && !model.half)
    }
}

/// `StageThreads.launch(batching:)`: frames in batches, in order, audio in its place, the partial
/// batch at the end flushed.
@Suite struct BatchingStageTests {
    final class Doubler: BatchingStage, @unchecked Sendable {
        // @unchecked: `batches` is written by the stage's thread and read after it is joined.
        let name = StageName.inference
        let batchSize: Int
        private(set) var batches: [[Int]] = []

        init(batchSize: Int) {
            self.batchSize = batchSize
        }

        func process(_ input: Int, ticket: FrameTicket) throws -> Int { try process(batch: [input])[0] }

        func process(batch inputs: [Int]) throws -> [Int] {
            batches.append(inputs)
            return inputs.map { $0 * 2 }
        }
    }

    /// An audio packet whose pts marks it.
    static func audio(_ marker: Int64) -> MediaPacket {
        let packet = av_packet_alloc()!
        packet.pointee.pts = marker
        return MediaPacket(taking: packet, census: nil)
    }

    @Test func framesLeaveInOrderWithAudioInPlaceAndThePartialBatchFlushed() throws {
        let threads = StageThreads()
        let stage = Doubler(batchSize: 3)
        let input: StageQueue<Int> = threads.queue(capacity: 2)
        let seen = Locked<[String]>([])
        let outlet = Outlet<Int>(send: { item in
            switch item {
            case .frame(let ticket, let value): seen.withLock { $0.append("f\(ticket.index)=\(value)") }
            case .audio(let packet): seen.withLock { $0.append("a\(packet.timestamp ?? -1)") }
            }
            return true
        }, close: { seen.withLock { $0.append("end") } })
        threads.launch(batching: stage, from: input, to: outlet)
        let items: [StreamItem<Int>] = [.audio(Self.audio(100))] + (0..<7).flatMap { index -> [StreamItem<Int>] in
            let frame = StreamItem<Int>.frame(FrameTicket(index: index, pts: Int64(index), captureTime: nil), index + 10)
            return index == 1 || index == 5 ? [frame, .audio(Self.audio(Int64(200 + index)))] : [frame]
        }
        for item in items { #expect(input.put(item)) }
        input.close()
        #expect(threads.wait() == nil)
        #expect(stage.batches == [[10, 11, 12], [13, 14, 15], [16]])
        #expect(seen.current == ["a100", "f0=20", "f1=22", "a201", "f2=24", "f3=26", "f4=28", "f5=30", "a205", "f6=32", "end"])
    }

    @Test func aFailureInABatchEndsTheRun() throws {
        let threads = StageThreads(injectedFailure: InjectedFailure(stage: .inference, frame: 4))
        let stage = Doubler(batchSize: 2)
        let input: StageQueue<Int> = threads.queue(capacity: 8)
        let frames = Locked(0)
        threads.launch(batching: stage, from: input, to: Outlet(send: { item in
            if case .frame = item { frames.withLock { $0 += 1 } }
            return true
        }, close: {}))
        for index in 0..<8 { input.put(.frame(FrameTicket(index: index, pts: Int64(index), captureTime: nil), index)) }
        input.close()
        #expect(threads.wait() != nil)
        #expect(frames.current == 4)
    }
}
