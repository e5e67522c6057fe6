import CFFmpeg
import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia
@testable import VideoSegModel
@testable import VideoSegOutput
@testable import VideoSegPipeline

/// The whole pipeline run in the test process through the library's API, on lavfi inputs and a
/// model whose scores are its input (the class of a pixel is its strongest RGB channel): frame
/// counts, class maps, audio, stop, an error in every stage, and that every frame, packet and
/// pooled buffer is given back however the run ends.
@Suite struct PipelineTests {
    let folder: TemporaryDirectory
    let modelPath: String

    init() throws {
        folder = try TemporaryDirectory()
        modelPath = folder.path("channels.pt")
        try SegmentationModel.define(
            source: "def forward(self, x):\n    return x\n",
            metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .fixed(width: 16, height: 12)),
            path: modelPath)
    }

    /// 64×48 at 10 fps: red on the left half, blue on the right, with a 440 Hz tone.
    static func splitPicture(seconds: Int) -> String {
        "color=c=red:s=64x48:r=10:d=\(seconds),drawbox=x=32:y=0:w=32:h=48:color=blue:t=fill[out0];sine=f=440:r=8000:d=\(seconds)[out1]"
    }

    /// The stages a run without live outputs has (no virtual camera, no preview).
    static let recordingStages = StageName.allCases.filter { $0 != .virtualCamera && $0 != .preview }

    func configuration(seconds: Int = 1, video: Bool = true, masks: Bool = true) -> SegmentConfiguration {
        var configuration = SegmentConfiguration(input: Self.splitPicture(seconds: seconds), output: video ? folder.path("out.mkv") : nil,
                                                 modelPath: modelPath)
        configuration.inputFormat = "lavfi"
        configuration.masks = masks ? MaskExportSettings(directory: folder.path("masks"), format: .npy, size: .model, overwrite: false) : nil
        configuration.threads = 1
        configuration.queueDepth = 2
        return configuration
    }

    /// The class ids of one exported 16×12 NPY mask, row by row.
    func mask(_ frame: Int) throws -> [[UInt8]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder.path(String(format: "masks/%06d.npy", frame))))
        let pixels = Array(data.suffix(16 * 12))
        return (0..<12).map { Array(pixels[$0 * 16..<($0 + 1) * 16]) }
    }

    /// Packets of each kind in a file, in the order the demuxer gives them.
    func packets(of path: String, format: String? = nil) throws -> (video: Int, audio: [Int64]) {
        let source = try MediaSource(path: path, formatName: format)
        var video = 0
        var audio: [Int64] = []
        while let event = try source.next() {
            switch event {
            case .video: video += 1
            case .audio(let packet): audio.append(packet.timestamp ?? -1)
            case .idle: continue
            }
        }
        return (video, audio)
    }

    @Test func everyFrameIsWrittenWithItsClassMap() throws {
        let pipeline = SegmentationPipeline(configuration: configuration())
        let result = try pipeline.run()
        #expect(result.framesDecoded == 10 && result.framesWritten == 10 && result.masksWritten == 10)
        #expect(result.modelInputWidth == 16 && result.modelInputHeight == 12)
        #expect(Set(result.stageSeconds.keys) == Set(Self.recordingStages.map(\.rawValue)))
        for frame in [0, 9] {
            for row in try mask(frame) {
                // Columns next to the edge may blend in the scaler; the rest is exact.
                #expect(Array(row[0...6]) == [UInt8](repeating: 0, count: 7))
                #expect(Array(row[9...15]) == [UInt8](repeating: 2, count: 7))
            }
        }
        #expect(try packets(of: folder.path("out.mkv")).video == 10)
        #expect(pipeline.census.totalLive == 0)
    }

    @Test func audioPacketsAllArriveInOrder() throws {
        let input = try packets(of: Self.splitPicture(seconds: 1), format: "lavfi")
        let pipeline = SegmentationPipeline(configuration: configuration(masks: false))
        _ = try pipeline.run()
        let output = try packets(of: folder.path("out.mkv"))
        #expect(input.audio.count > 0)
        #expect(output.audio.count == input.audio.count)
        #expect(output.audio == output.audio.sorted())
        #expect(pipeline.census.totalLive == 0)
    }

    @Test func masksOnlyOpensNoEncoder() throws {
        let pipeline = SegmentationPipeline(configuration: configuration(video: false))
        let result = try pipeline.run()
        #expect(result.encoder == nil && result.framesWritten == 0 && result.masksWritten == 10)
        #expect(result.stageSeconds["render"] == nil && result.stageSeconds["encode"] == nil)
        #expect(pipeline.census.totalLive == 0)
    }

    @Test func aStopWritesWhatWasDecodedAndGivesEverythingBack() throws {
        let pipeline = SegmentationPipeline(configuration: configuration(seconds: 60))
        let stopper = spawnThread {
            while pipeline.progress.framesDone < 3 { usleep(1000) }
            pipeline.requestStop()
        }
        let result = try pipeline.run()
        #expect(signalled(stopper, within: 5))
        #expect(result.interrupted)
        #expect(result.framesDecoded >= 3 && result.framesDecoded < 600)
        #expect(result.framesWritten == result.framesDecoded && result.masksWritten == result.framesDecoded)
        #expect(try packets(of: folder.path("out.mkv")).video == result.framesDecoded)
        #expect(pipeline.census.totalLive == 0)
    }

    /// A watcher of the run (the preview page's role): a JPEG picture of every rendered frame
    /// while it wants them, and every finished frame, from the stage threads.
    final class Watcher: LiveObserver, @unchecked Sendable {
        // @unchecked: the lists are behind `lock`.
        let lock = NSLock()
        var pictures: [PreviewPicture] = []
        var finished = 0
        var wantsPictures: Bool { true }
        func show(_ picture: PreviewPicture) { lock.withLock { pictures.append(picture) } }
        func frameFinished(latency: Double?) { lock.withLock { finished += 1 } }
    }

    @Test func aWatcherGetsJPEGPicturesAndEveryFinishedFrame() throws {
        let watcher = Watcher()
        var settings = configuration()
        settings.observer = watcher
        let pipeline = SegmentationPipeline(configuration: settings)
        let result = try pipeline.run()
        #expect(result.framesWritten == 10 && result.masksWritten == 10)
        #expect(watcher.finished == 10)
        // Keep-latest: a picture per rendered frame at most, in order, the last frame always shown.
        let frames = watcher.pictures.map(\.frame)
        #expect(!frames.isEmpty && frames.count <= 10 && frames == frames.sorted() && frames.last == 9, "\(frames)")
        for picture in watcher.pictures {
            #expect(picture.width == 64 && picture.height == 48)
            #expect(picture.jpeg.prefix(2) == Data([0xFF, 0xD8]) && picture.jpeg.suffix(2) == Data([0xFF, 0xD9]))
        }
        #expect(result.stageSeconds["preview"] != nil)
        #expect(pipeline.census.totalLive == 0)
    }

    @Test(arguments: recordingStages + [.preview])
    func anErrorInAnyStageEndsTheRunOnceAndCleanly(stage: StageName) throws {
        let failure = InjectedFailure(stage: stage, frame: 4)
        var settings = configuration(seconds: 2)
        if stage == .preview { settings.observer = Watcher() }
        let pipeline = SegmentationPipeline(configuration: settings, injectedFailure: failure)
        #expect(throws: failure.error) { try pipeline.run() }
        #expect(pipeline.census.totalLive == 0, "left alive: \(pipeline.census.live)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.url.path)
        #expect(!files.contains { $0.hasSuffix("videoseg-partial") })
        // What was written before the failure is a playable file holding fewer frames than asked.
        if files.contains("out.mkv") {
            #expect(try packets(of: folder.path("out.mkv")).video < 20)
        }
        let manifest = try String(contentsOfFile: folder.path("masks/manifest.jsonl"), encoding: .utf8)
        let masks = try FileManager.default.contentsOfDirectory(atPath: folder.path("masks")).filter { $0.hasSuffix(".npy") }
        #expect(manifest.split(separator: "\n").count == masks.count)
        #expect(masks.count < 20)
    }

    @Test func runningLeavesFFmpegsLogLevelAsTheHostSetIt() throws {
        let before = av_log_get_level()
        _ = try SegmentationPipeline(configuration: configuration(masks: false)).run()
        #expect(av_log_get_level() == before)
    }

    @Test func ffmpegChatterIsDebugOutputForTheHost() {
        #expect(FFmpegLog.level(AV_LOG_ERROR) == .error)
        #expect(FFmpegLog.level(AV_LOG_WARNING) == .warning)
        #expect(FFmpegLog.level(AV_LOG_INFO) == .debug)
        #expect(FFmpegLog.level(AV_LOG_VERBOSE) == .trace)
    }
}

/// How a stage is added: a type that conforms to `PipelineStage` (here, one that measures how
/// much of each frame is one class and hands the frame on untouched), connected with a queue in
/// front and an outlet behind. The rest of this pipeline is the real source, preprocess and
/// inference stages.
@Suite struct PipelineStageTests {
    /// The example stage: the share of a frame's class-map cells that are `classID`.
    final class CoverageStage: PipelineStage, @unchecked Sendable {
        // @unchecked: `shares` is written by this stage's thread and read after it is joined.
        let name = StageName.masks
        let classID: UInt8
        private(set) var shares: [Double] = []

        init(classID: UInt8) {
            self.classID = classID
        }

        func process(_ segmented: SegmentedFrame, ticket: FrameTicket) throws -> SegmentedFrame {
            let cells = UnsafeBufferPointer(start: segmented.segmentation.classes.baseAddress, count: segmented.segmentation.cellCount)
            shares.append(Double(cells.filter { $0 == classID }.count) / Double(cells.count))
            return segmented
        }
    }

    @Test func aNewStageSeesEveryFrameInOrder() throws {
        let folder = try TemporaryDirectory()
        let modelPath = folder.path("channels.pt")
        try SegmentationModel.define(
            source: "def forward(self, x):\n    return x\n",
            metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .fixed(width: 16, height: 12)),
            path: modelPath)
        var configuration = SegmentConfiguration(input: PipelineTests.splitPicture(seconds: 1), output: nil, modelPath: modelPath)
        configuration.inputFormat = "lavfi"
        let census = ResourceCensus()
        let plan = try JobPlan(configuration: configuration, census: census)

        let threads = StageThreads()
        let coverage = CoverageStage(classID: 2)
        let toPreprocess: StageQueue<DecodedFrame> = threads.queue(capacity: 2)
        let toInference: StageQueue<ModelInput> = threads.queue(capacity: 2)
        let toCoverage: StageQueue<SegmentedFrame> = threads.queue(capacity: 2)
        let tickets = Locked<[Int]>([])
        let end = Outlet<SegmentedFrame>(send: { item in
            if case .frame(let ticket, _) = item { tickets.withLock { $0.append(ticket.index) } }
            return true
        }, close: {})
        threads.launch(PreprocessStage(preprocessor: plan.makePreprocessor(), census: census), from: toPreprocess, to: .queue(toInference))
        threads.launch(InferenceStage.segmenting(plan: plan, census: census), from: toInference, to: .queue(toCoverage))
        threads.launch(coverage, from: toCoverage, to: end)
        let source = SourceStage(source: plan.source, policy: .recorded, maxFrames: nil, duration: nil, stop: StopFlag(),
                                 progress: Locked(SegmentProgress()))
        threads.launch(.source, closing: { toPreprocess.close() }) {
            try source.run(into: .queue(toPreprocess)) { _ in }
        }
        #expect(threads.wait() == nil)
        #expect(tickets.current == Array(0..<10))
        #expect(coverage.shares.count == 10)
        // The right half is blue; the column at the edge may go either way.
        #expect(coverage.shares.allSatisfy { (7.0 / 16...9.0 / 16).contains($0) })
        #expect(census.live[.decodedFrame] == 0 && census.live[.packet] == 0)
    }
}
