import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The render stage's work for one render target: the decoded frame copied into the target's
/// format and size (the encoder's, when there is one), then the segmentation drawn onto it. Everything
/// that depends only on the output (the per-class colour tables at the output's depth and colour
/// matrix, the interpolation taps for luma and chroma) is prepared once here. One thread uses it.
package final class FrameRenderer {
    private let converter: FrameConverter
    private let overlay: OverlayRenderer
    private let luma: BilinearSampler
    private let chroma: BilinearSampler
    private let soft: Bool
    private var tables = OverlayRenderer.CellTables()
    /// The effects (blur, pixelate, replace, cut-out, matte) draw instead of the overlay.
    private let effects: EffectRenderer?
    /// The blend tint with refined edges draws instead of the soft overlay.
    private let refined: RefinedOverlay?

    /// Prepares rendering into frames of `target`, of a source shown with `orientation`, from
    /// upright segmentations of `mapWidth`×`mapHeight` cells.
    package init(target: RenderTarget, orientation: Orientation, mapWidth: Int, mapHeight: Int, style: OverlayStyle,
         colors: [(r: UInt8, g: UInt8, b: UInt8)], background: BackgroundPicture? = nil, census: ResourceCensus?)
    {
        let layout = target.frameLayout
        converter = target.makeFrameConverter(census: census)
        overlay = OverlayRenderer(style: style, colors: colors, matrix: layout.matrix, bitDepth: layout.bitDepth)
        soft = style.edges != .hard
        luma = BilinearSampler(frameWidth: layout.width, frameHeight: layout.height, orientation: orientation,
                               mapWidth: mapWidth, mapHeight: mapHeight)
        let shiftW = layout.log2ChromaWidth, shiftH = layout.log2ChromaHeight
        chroma = luma.subsampled(log2Width: shiftW, log2Height: shiftH, planeWidth: (layout.width + (1 << shiftW) - 1) >> shiftW,
                                 planeHeight: (layout.height + (1 << shiftH) - 1) >> shiftH)
        effects = style.mode.isEffect
            ? EffectRenderer(target: target, luma: luma, chroma: chroma, style: style, classCount: colors.count, background: background, census: census)
            : nil
        refined = style.edges == .refined && style.mode == .blend
            ? RefinedOverlay(layout: layout, luma: luma, chroma: chroma, style: style, classCount: colors.count)
            : nil
    }

    /// `decoded` in the render target's format with `segmentation` drawn on it.
    package func render(_ decoded: DecodedFrame, segmentation: Segmentation) throws -> RenderedFrame {
        if let effects { return try effects.render(decoded, segmentation: segmentation) }
        let frame = try converter.convert(decoded)
        if soft { overlay.fill(&tables, from: segmentation) }
        if let refined {
            try refined.render(frame, decoded: decoded, segmentation: segmentation, tables: tables)
            return frame
        }
        for (index, plane) in frame.planes.prefix(3).enumerated() {
            let sampler = index == 0 ? luma : chroma
            overlay.render(plane: index, pixels: plane.pixels, stride: plane.stride, width: sampler.columns.count,
                           height: sampler.rows.count, segmentation: segmentation, sampler: sampler, tables: tables)
        }
        return frame
    }
}
