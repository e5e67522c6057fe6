import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Turns a decoded frame into the model's input: scaled to the model size as RGB (Media's
/// swscale), turned upright and normalised (the model's mean/std). The one place the pipeline,
/// the benchmark, `model info` and the parity tests get a model input from, so they cannot drift.
public final class Preprocessor: Sendable {
    /// Its buffer is used by one thread at a time (the preprocess stage); the lock makes that
    /// checkable and is never contended.
    private let scaler: Locked<RGBScaler>
    private let normalizer: InputNormalizer
    private let orientation: Orientation

    /// Prepares for frames shown with `orientation`, feeding `model` at the size it was prepared
    /// for, normalised with its mean/std (none given: the pixel values in [0,1] as they are).
    public init(model: SegmentationModel, orientation: Orientation) {
        let width = model.inputWidth, height = model.inputHeight
        let stored = orientation.storedSize(uprightWidth: width, height: height)
        scaler = Locked(RGBScaler(width: stored.width, height: stored.height))
        normalizer = InputNormalizer(width: width, height: height, mean: model.metadata.mean ?? [0, 0, 0],
                                     std: model.metadata.std ?? [1, 1, 1])
        self.orientation = orientation
    }

    /// The number of floats one frame needs.
    public var tensorCount: Int { normalizer.tensorCount }

    /// Fills `tensor` (`tensorCount` floats) from `frame`.
    public func process(_ frame: DecodedFrame, into tensor: UnsafeMutablePointer<Float>) throws {
        // The caller's tensor, lent for this call: the scaler's buffer under the lock is read into it.
        let output = Handed(tensor)
        try scaler.withLock { normalizer.normalize(try $0.scale(frame), orientation: orientation, into: output.pointer) }
    }
}
