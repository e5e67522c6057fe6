import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// The pipeline's stages, by one name each: in the pipeline, `--stats-json`'s `stage_seconds`,
/// `videoseg bench` and the progress display.
public enum StageName: String, CaseIterable, Sendable, Comparable {
    /// Demux and decode.
    case source
    /// Scale to the model size and normalise.
    case preprocess
    /// The model's forward pass and the argmax.
    case inference
    /// The scores' post-processing at the model's resolution: probabilities, smoothing, the
    /// foreground and tint, the subject kept.
    case scores
    /// Copy into the encoder's format and draw the overlay.
    case render
    /// Encode and mux (with the audio).
    case encode
    /// Write the per-frame masks.
    case masks
    /// Write the rendered frames to the virtual camera (a V4L2 output device).
    case virtualCamera = "virtual-camera"
    /// Encode the rendered frames as JPEG for the preview page (only while someone watches).
    case preview

    /// What the stage does, for tables.
    public var work: String {
        switch self {
        case .source: "decode"
        case .preprocess: "scale + normalise"
        case .inference: "forward + argmax"
        case .scores: "scores: probabilities, smoothing, tint"
        case .render: "render"
        case .encode: "encode + mux"
        case .masks: "write masks"
        case .virtualCamera: "virtual camera"
        case .preview: "preview JPEG"
        }
    }

    /// Pipeline order.
    public static func < (lhs: StageName, rhs: StageName) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
