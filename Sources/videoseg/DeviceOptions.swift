import ArgumentParser
import VideoSeg

/// Where the model runs and how many frames each forward pass takes: `--device`, `--batch-size`,
/// `--half` (segment, camera, batch).
struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("auto (CUDA when this build's libtorch has it and a device is present, else cpu), cpu, cuda or cuda:N.", valueName: "device"))
    var device: String = "auto"

    @Option(name: .long, help: ArgumentHelp("Frames per forward pass (default: 1 on cpu, 4 on CUDA; live input always 1).", valueName: "N"))
    var batchSize: Int?

    @Flag(name: .long, help: "Run the model in float16 (CUDA only).")
    var half = false

    /// The largest batch accepted: far beyond what pays on any card, small enough that a typo
    /// (4000) is refused rather than allocating gigabytes.
    static let maxBatchSize = 256

    /// Refuses what can be told before anything is opened, as usage errors (exit 64): a malformed
    /// device, a batch size out of range, float16 on the CPU, and a CUDA device this build or
    /// machine lacks (saying which).
    func validate() throws {
        guard let request = DeviceRequest(parsing: device) else {
            throw ValidationError("--device: \"\(device)\" is not auto, cpu, cuda or cuda:N")
        }
        if let batchSize, !(1...DeviceOptions.maxBatchSize).contains(batchSize) {
            throw ValidationError("--batch-size must be between 1 and \(DeviceOptions.maxBatchSize)")
        }
        if half && request == .cpu {
            throw ValidationError("--half: float16 runs on CUDA only (libtorch 1.13 has no float16 convolutions on the CPU)")
        }
        var probe = SegmentConfiguration(input: "", output: nil, modelPath: nil)
        apply(to: &probe)
        do {
            _ = try probe.computePlan()
        } catch let error as VideoSegError {
            throw ValidationError(SettingFlags.text(error))
        }
    }

    /// Sets the configuration's device, batch size and precision.
    func apply(to configuration: inout SegmentConfiguration) {
        configuration.device = DeviceRequest(parsing: device) ?? .auto
        configuration.batchSize = batchSize
        configuration.half = half
    }
}
