import CTorchBridge
import VideoSegCore

/// The libtorch the bridge was built with, for version reports.
public enum TorchLibrary {
    /// The libtorch the bridge was compiled against (TORCH_VERSION).
    public static var version: String { String(cString: vs_torch_version()) }

    /// Whether that libtorch has CUDA (a CUDA build of the bridge); false for the CPU build.
    /// Asks for the build's CUDA library, not for a device: at::hasCUDA() is also false for a CUDA
    /// build on a machine without a GPU.
    public static var hasCUDA: Bool { vs_torch_cuda_built() != 0 }
}
