import CTorchBridge
import VideoSegCore

/// Where the model runs: the CPU, or a CUDA device of a libtorch built with CUDA.
public enum ComputeDevice: Hashable, Sendable, CustomStringConvertible {
    case cpu
    /// CUDA device N (`cuda:N`).
    case cuda(Int)

    /// "cpu" or "cuda:N", as `--device` takes it and `--stats-json` reports it.
    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let index): return "cuda:\(index)"
        }
    }

    public var isCUDA: Bool { if case .cuda = self { true } else { false } }

    /// Frames per forward pass when `--batch-size` is not given: 1 on the CPU (a batch buys
    /// nothing there but latency, see README), 4 on CUDA. The CUDA figure is not measured yet: no
    /// GPU machine was at hand; scripts/gpu-check.sh prints frames per second for 1, 4 and 8.
    public var defaultBatchSize: Int { isCUDA ? 4 : 1 }

    /// The card's name as the driver reports it, for CUDA devices it can be told for.
    public var name: String? {
        guard case .cuda(let index) = self, let text = vs_torch_cuda_device_name(Int32(index)) else { return nil }
        defer { vs_torch_free_string(text) }
        return String(cString: text)
    }
}

/// What `--device` asked for: `auto`, `cpu`, `cuda` (the first CUDA device) or `cuda:N`.
public enum DeviceRequest: Hashable, Sendable, CustomStringConvertible {
    /// CUDA when this build's libtorch has it and the machine has a device, else the CPU.
    case auto
    case cpu
    /// A CUDA device: nil means cuda:0.
    case cuda(Int?)

    /// Parses a `--device` value; nil when it is none of the forms.
    public init?(parsing text: String) {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "cuda": self = .cuda(nil)
        default:
            guard value.hasPrefix("cuda:"), let index = Int(value.dropFirst(5)), index >= 0, value.dropFirst(5).allSatisfy(\.isNumber)
            else { return nil }
            self = .cuda(index)
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .cuda(nil): return "cuda"
        case .cuda(let index?): return "cuda:\(index)"
        }
    }

    /// The device this request means where `support` holds. `cuda` and `cuda:N` that cannot be
    /// had are an error that says whether the build or the machine lacks CUDA.
    public func resolve(_ support: CUDASupport = .current) throws -> ComputeDevice {
        switch self {
        case .cpu: return .cpu
        case .auto: return support.built && support.devices > 0 ? .cuda(0) : .cpu
        case .cuda(let asked):
            let index = asked ?? 0
            guard support.built else {
                throw VideoSegError.invalidOption(
                    "\(Setting.device) \(self): this build's libtorch (\(support.libtorchVersion)) has no CUDA; build with VIDEOSEG_LIBTORCH set to a CUDA libtorch (see README, \"A GPU\")")
            }
            guard support.devices > 0 else {
                throw VideoSegError.invalidOption(
                    "\(Setting.device) \(self): this build's libtorch has CUDA, but this machine has no CUDA device (no NVIDIA GPU, or its driver is not loaded)")
            }
            guard index < support.devices else {
                throw VideoSegError.invalidOption(
                    "\(Setting.device) \(self): this machine has \(support.devices) CUDA device(s), cuda:0 to cuda:\(support.devices - 1)")
            }
            return .cuda(index)
        }
    }

    /// Why `auto` chose what it chose, for `-v`.
    public func reason(for device: ComputeDevice, _ support: CUDASupport = .current) -> String {
        guard self == .auto else { return "as asked" }
        if device.isCUDA { return "auto: CUDA device present" }
        return support.built ? "auto: this build's libtorch has CUDA, but no CUDA device is present" : "auto: this build's libtorch has no CUDA"
    }
}

/// What this process's libtorch offers for CUDA: whether it was built with it, and how many
/// devices it sees.
public struct CUDASupport: Sendable, Equatable {
    /// The libtorch in use has its CUDA library (a CUDA build).
    public var built: Bool
    /// CUDA devices visible (0 without a driver or a GPU).
    public var devices: Int
    /// The libtorch version, for messages.
    public var libtorchVersion: String

    public init(built: Bool, devices: Int, libtorchVersion: String = "") {
        self.built = built
        self.devices = devices
        self.libtorchVersion = libtorchVersion
    }

    /// Asks libtorch (cheap: at most a driver query, once per call).
    public static var current: CUDASupport {
        let built = vs_torch_cuda_built() != 0
        return CUDASupport(built: built, devices: built ? Int(vs_torch_cuda_device_count()) : 0,
                           libtorchVersion: String(cString: vs_torch_version()))
    }
}
