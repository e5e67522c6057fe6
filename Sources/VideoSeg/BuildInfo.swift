/// The versions of VideoSeg and of the libraries it was built with, for `videoseg --version`
/// and bug reports.
public enum BuildInfo {
    /// VideoSeg's own version.
    public static let version = "0.1.0"

    /// The libtorch the bridge was compiled against (TORCH_VERSION).
    public static var torchVersion: String { TorchLibrary.version }

    /// Whether that libtorch has CUDA (a CUDA build of the bridge); false for the CPU build.
    /// Asks for the build's CUDA library, not for a device: at::hasCUDA() is also false for a CUDA
    /// build on a machine without a GPU.
    public static var torchHasCUDA: Bool { TorchLibrary.hasCUDA }

    /// FFmpeg's version string as the loaded libavutil reports it (e.g. "5.1.6-0+deb12u1"), and
    /// the library versions VideoSeg was compiled against (e.g. "Lavf59.27.100").
    public static var ffmpegVersion: String { FFmpegLibraries.version }
    public static var ffmpegLibraries: [String] { FFmpegLibraries.compiledWith }

    /// Several lines: VideoSeg, libtorch, FFmpeg.
    public static var description: String {
        """
        videoseg \(version)
        libtorch \(torchVersion) (\(torchHasCUDA ? "with CUDA" : "CPU only"))
        FFmpeg \(ffmpegVersion) (built with \(ffmpegLibraries.joined(separator: ", ")))
        """
    }
}
