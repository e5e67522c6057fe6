import CFFmpeg
import VideoSegCore

extension VideoSink {
    /// Makes libx264's output depend on its input and settings only, before the first x264
    /// encoder opens: every later heap block starts zeroed (see `vs_zero_new_allocations`).
    /// Without it x264's macroblock-tree rate control with B-frames reads bytes it never wrote,
    /// and they are whatever earlier allocations left: the same frames gave other bytes as the
    /// second video of a batch than alone, and other bytes from run to run. A fresh process
    /// reads zeros there, so outputs stay what a single `segment` (or the ffmpeg tool) writes.
    /// The cost is a memset of each block as it is handed out; the pipeline's big buffers come
    /// from pools, so it is paid mostly at start-up.
    static func zeroAllocationsForX264() {
        _ = zeroedOnce
    }

    private static let zeroedOnce: Bool = vs_zero_new_allocations() == 1
}
