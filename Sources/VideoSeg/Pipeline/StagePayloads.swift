// The values the stages hand on. Each owns what it carries; what a stage does not hand on is
// released when the stage returns (buffers back to their pools, frames freed).

/// The preprocess stage's output: the decoded frame (rendering still needs it) and its model
/// input tensor.
struct ModelInput: @unchecked Sendable {
    // @unchecked: single-owner hand-off between stage threads.
    let frame: DecodedFrame
    let tensor: PooledBuffer<Float>
}

/// A frame's class map: one class id a cell, upright, at the model's output size.
struct ClassMap: @unchecked Sendable {
    // @unchecked: filled by the inference stage, only read after that (render and masks may read
    // one class map at the same time).
    let cells: PooledBuffer<UInt8>
    let width: Int
    let height: Int
}

/// The inference stage's output: the decoded frame and its class map.
struct SegmentedFrame: @unchecked Sendable {
    // @unchecked: single-owner hand-off between stage threads.
    let frame: DecodedFrame
    let classMap: ClassMap
}
