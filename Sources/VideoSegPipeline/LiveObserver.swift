import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// One rendered frame as a JPEG picture, for a live preview.
public struct PreviewPicture: Sendable {
    /// The JPEG file's bytes (baseline, full-range 4:2:0).
    public let jpeg: Data
    /// The picture's size: the rendered video's.
    public let width: Int
    public let height: Int
    /// The frame's number in decode (capture) order; gaps are frames dropped or not shown.
    public let frame: Int
    /// Seconds the conversion and encoding took.
    public let encodeSeconds: Double
}

/// Something that watches a run as it goes: a preview server. The pipeline calls it from its
/// stage threads, so every method must return at once: no waiting on a lock someone else holds
/// for long, no I/O. A server hands the picture on to its clients without waiting for them
/// (each client a keep-latest buffer), so a slow viewer misses pictures and never slows a stage.
public protocol LiveObserver: AnyObject, Sendable {
    /// Whether anybody watches the pictures now. While false, no JPEG is encoded at all.
    var wantsPictures: Bool { get }
    /// The newest rendered frame as a JPEG picture. Pictures come from one thread, in order, at
    /// most one per processed frame; frames rendered while the last one was being encoded are
    /// skipped.
    func show(_ picture: PreviewPicture)
    /// A frame has been finished by every output; `latency` is the seconds from its capture to
    /// then (live input only).
    func frameFinished(latency: Double?)
}
