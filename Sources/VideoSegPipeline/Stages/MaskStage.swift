import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Segmented frame → one mask file (the frame guides refined masks) and its manifest line. Ends the mask branch.
final class MaskStage: PipelineStage {
    package let name = StageName.masks
    private let writer: MaskWriter

    package init(writer: MaskWriter) {
        self.writer = writer
    }

    package func process(_ segmented: SegmentedFrame, ticket: FrameTicket) throws {
        try writer.write(index: ticket.index, pts: ticket.pts, segmentation: segmented.segmentation, frame: segmented.frame)
    }
}
