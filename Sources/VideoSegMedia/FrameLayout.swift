import VideoSegCore

/// The shape of the frames a sink takes: size, sample depth, chroma subsampling and colour
/// matrix; what the overlay needs to draw on them without knowing FFmpeg's pixel formats.
public struct FrameLayout: Sendable {
    public var width: Int
    public var height: Int
    /// Bits per sample (8, or up to 16).
    public var bitDepth: Int
    /// Whether the frames have a fourth plane, alpha, at full size and the same depth.
    public var hasAlpha: Bool
    /// log2 of the chroma planes' horizontal and vertical subsampling (1, 1 for 4:2:0).
    public var log2ChromaWidth: Int
    public var log2ChromaHeight: Int
    /// The colour matrix and range colours are converted with.
    public var matrix: YUVMatrix
}
