import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegRender

/// How per-frame masks are exported.
public struct MaskExportSettings: Equatable, Sendable {
    /// The file format of the masks.
    public enum Format: String, Sendable, CaseIterable {
        /// 8-bit palette PNG per frame, pixel value = class id, VOC palette.
        case png
        /// uint8 H×W NumPy array per frame.
        case npy
        /// One lossless FFV1 gray8 Matroska video, `masks.mkv`, with the source's timestamps.
        case video
    }

    /// What each mask pixel holds.
    public enum Values: String, Sendable, CaseIterable {
        /// The class id (the argmax of the interpolated scores).
        case classes
        /// The probability of the tinted classes (`--classes`, default every class but
        /// background), summed and interpolated: 0–255 in gray8 PNG and FFV1, float16 in NPY.
        case probability
    }

    /// The size the masks are written at.
    public enum Size: String, Sendable, CaseIterable {
        /// The source's displayed (upright) size, the scores interpolated bilinearly as
        /// PyTorch's `F.interpolate` does, like the overlay.
        case source
        /// The model's input size, not rescaled at all.
        case model
    }

    /// The folder the masks, `labels.json` and `manifest.jsonl` go to.
    public var directory: String
    public var format: Format
    public var size: Size
    /// Class ids or foreground probability.
    public var values: Values
    /// Replace VideoSeg's files in a folder that is not empty.
    public var overwrite: Bool

    /// Creates settings; PNG at source size by default.
    public init(directory: String, format: Format = .png, size: Size = .source, overwrite: Bool = false, values: Values = .classes) {
        self.directory = directory
        self.values = values
        self.format = format
        self.size = size
        self.overwrite = overwrite
    }
}
