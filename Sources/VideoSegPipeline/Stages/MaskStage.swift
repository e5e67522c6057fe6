import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// Segmentation → one mask file and its manifest line. Ends the mask branch.
final class MaskStage: PipelineStage, @unchecked Sendable {
    // @unchecked: the writer is used by this stage's thread only (finished after it is joined).
    package let name = StageName.masks
    private let writer: MaskWriter

    package init(writer: MaskWriter) {
        self.writer = writer
    }

    package func process(_ segmentation: Segmentation, ticket: FrameTicket) throws {
        try writer.write(index: ticket.index, pts: ticket.pts, segmentation: segmentation)
    }
}
