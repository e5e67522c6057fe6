import Foundation
import VideoSeg

/// What `--stats-json` writes about one run: typed, so the file's shape is checked by the
/// compiler. Values that a run may lack are written as null (a reader finds every key); the
/// live and virtual-camera figures only for runs that have them.
struct RunStats: Encodable {
    /// One stage thread's time, as the file names it.
    struct Timing: Encodable {
        var busySeconds: Double
        var cpuSeconds: Double
        var waitingForInputSeconds: Double
        var waitingForOutputSeconds: Double
        var threadSeconds: Double

        init(_ timing: StageTiming) {
            busySeconds = timing.busySeconds
            cpuSeconds = timing.cpuSeconds
            waitingForInputSeconds = timing.waitingForInput
            waitingForOutputSeconds = timing.waitingForOutput
            threadSeconds = timing.lifetimeSeconds
        }
    }

    /// Live input's figures.
    struct Live {
        var framesCaptured: Int
        var framesDropped: Int
        var latencyMeanSeconds: Double?
        var latencyMaxSeconds: Double?
    }

    var input: String
    var result: SegmentResult
    var live: Live?

    init(_ result: SegmentResult, input: String, live: Bool) {
        self.input = input
        self.result = result
        self.live = live ? Live(framesCaptured: result.framesDecoded, framesDropped: result.framesDropped,
                                latencyMeanSeconds: result.meanLatency, latencyMaxSeconds: result.maxLatency) : nil
    }

    private enum Key: String, CodingKey {
        case input, output, frames, framesDecoded, framesProcessed, masks, maskDirectory, encoder, seconds, fps, interrupted
        case inputDamaged, warnings, model, modelOptimization, modelInputSize, modelScores, stageSeconds, modelPreparation
        case modelPreparationNote, modelLoadSeconds, modelPrepareSeconds, startupSeconds, runCPUSeconds = "run_cpu_seconds"
        case stageTiming, device, deviceName, batchSize, precision
        case framesCaptured, framesDropped, latencyMeanSeconds, latencyMaxSeconds, virtualCameraFrames, virtualCameraSkipped
        case subject, libtorchThreads, blasThreads
    }

    func encode(to encoder: Encoder) throws {
        var file = encoder.container(keyedBy: Key.self)
        try file.encode(input, forKey: .input)
        try file.encode(result.output, forKey: .output)
        try file.encode(result.framesWritten, forKey: .frames)
        try file.encode(result.framesDecoded, forKey: .framesDecoded)
        try file.encode(result.framesProcessed, forKey: .framesProcessed)
        try file.encode(result.masksWritten, forKey: .masks)
        try file.encode(result.maskDirectory, forKey: .maskDirectory)
        try file.encode(result.encoder, forKey: .encoder)
        try file.encode(result.seconds, forKey: .seconds)
        try file.encode(result.framesPerSecond, forKey: .fps)
        try file.encode(result.interrupted, forKey: .interrupted)
        try file.encode(result.inputDamaged, forKey: .inputDamaged)
        try file.encode(result.warnings, forKey: .warnings)
        try encodeModel(into: &file)
        try file.encode(result.stageSeconds, forKey: .stageSeconds)
        try file.encode(result.stageTimings.mapValues(Timing.init), forKey: .stageTiming)
        try file.encode(result.startupSeconds, forKey: .startupSeconds)
        try file.encode(result.runCPUSeconds, forKey: .runCPUSeconds)
        try file.encode(result.device, forKey: .device)
        try file.encode(result.deviceName, forKey: .deviceName)
        try file.encode(result.batchSize, forKey: .batchSize)
        try file.encode(result.precision, forKey: .precision)
        // What the run left in force: libtorch's count, and OpenBLAS's, which must follow it.
        try file.encode(SegmentationModel.libtorchThreads, forKey: .libtorchThreads)
        try file.encode(SegmentationModel.blasThreads, forKey: .blasThreads)
        if let live {
            try file.encode(live.framesCaptured, forKey: .framesCaptured)
            try file.encode(live.framesDropped, forKey: .framesDropped)
            try file.encode(live.latencyMeanSeconds, forKey: .latencyMeanSeconds)
            try file.encode(live.latencyMaxSeconds, forKey: .latencyMaxSeconds)
        }
        // Only when one person was chosen: where they were at the end, and their losses.
        if let subject = result.subject { try file.encode(subject, forKey: .subject) }
        if result.virtualCameraFrames > 0 || result.virtualCameraSkipped > 0 {
            try file.encode(result.virtualCameraFrames, forKey: .virtualCameraFrames)
            try file.encode(result.virtualCameraSkipped, forKey: .virtualCameraSkipped)
        }
    }

    private func encodeModel(into file: inout KeyedEncodingContainer<Key>) throws {
        try file.encode(result.modelPath, forKey: .model)
        try file.encode(result.modelOptimization, forKey: .modelOptimization)
        try file.encode([result.modelInputWidth, result.modelInputHeight], forKey: .modelInputSize)
        try file.encode(result.modelScores, forKey: .modelScores)
        try file.encode(result.modelPreparation, forKey: .modelPreparation)
        try file.encode(result.modelPreparationNote, forKey: .modelPreparationNote)
        try file.encode(result.modelLoadSeconds, forKey: .modelLoadSeconds)
        try file.encode(result.modelPrepareSeconds, forKey: .modelPrepareSeconds)
    }

    /// The file's bytes: keys in snake case, sorted, pretty-printed.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
