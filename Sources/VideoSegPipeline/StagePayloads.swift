import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

// The values the stages hand on. Each owns what it carries; what a stage does not hand on is
// released when the stage returns (buffers back to their pools, frames freed).

/// The preprocess stage's output: the decoded frame (rendering still needs it) and its model
/// input tensor.
struct ModelInput: Sendable {
    package let frame: DecodedFrame
    package let tensor: PooledBuffer<Float>
}

/// The inference stage's output: the decoded frame, its class map from the forward pass's argmax
/// and, when the scores stage needs them, the raw scores.
struct ForwardedFrame: Sendable {
    package let frame: DecodedFrame
    package let classes: PooledBuffer<UInt8>
    package let scores: PooledBuffer<Float>?
}

/// The scores stage's output: the decoded frame and its segmentation.
struct SegmentedFrame: Sendable {
    package let frame: DecodedFrame
    package let segmentation: Segmentation
}
