import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// The render stage's work for the effects: the decoded frame in the render target's format, then, by the
/// foreground weight of every sample, the background (or the foreground) blurred, pixelated or
/// replaced, the alpha of a cut-out, or a matte. Where the weight is 256 (or 0, for effects on
/// the foreground) the picture is kept exactly. One thread uses it.
final class EffectRenderer {
    private let converter: FrameConverter
    private let style: OverlayStyle
    private let layout: FrameLayout
    private let samplers: [BilinearSampler]
    private var weights: [ForegroundWeights]
    private let tinted: [Bool]
    private let shrink: FrameResizer?
    private let grow: FrameResizer?
    private let background: BackgroundPicture?
    /// Refines the weights (`edges refined`); nil for soft and hard edges.
    private let refiner: EdgeRefiner?
    private let guidePicture = GuidePicture()
    /// The blur radius in samples of the shrunk picture (luma).
    private let smallRadius: Int

    package init(target: RenderTarget, luma: BilinearSampler, chroma: BilinearSampler, style: OverlayStyle, classCount: Int,
         background: BackgroundPicture?, census: ResourceCensus?)
    {
        layout = target.frameLayout
        converter = target.makeFrameConverter(census: census)
        self.style = style
        samplers = [luma, chroma]
        weights = [ForegroundWeights(width: luma.columns.count, height: luma.rows.count),
                   ForegroundWeights(width: chroma.columns.count, height: chroma.rows.count)]
        tinted = (0..<max(classCount, 1)).map { style.tints($0) }
        self.background = background
        refiner = style.edges == .refined ? EdgeRefiner() : nil
        let radius = EffectRenderer.radius(style, width: layout.width, height: layout.height)
        switch style.mode {
        case .blur:
            // Blur a copy shrunk so the radius is about three samples there: the same look for a
            // fraction of the work, and swscale's area average is the first smoothing pass.
            let factor = max(1, radius / 3)
            shrink = target.makeResizer(width: -(-layout.width / factor), height: -(-layout.height / factor), filter: .area, census: census)
            grow = target.makeResizer(width: layout.width, height: layout.height, filter: .bilinear, census: census)
            smallRadius = max(1, radius / factor)
        case .pixelate:
            let block = max(2, 2 * radius)
            shrink = target.makeResizer(width: -(-layout.width / block), height: -(-layout.height / block), filter: .area, census: census)
            grow = target.makeResizer(width: layout.width, height: layout.height, filter: .nearest, census: census)
            smallRadius = 0
        default:
            shrink = nil
            grow = nil
            smallRadius = 0
        }
    }

    /// The default radius is about 2% of the short side.
    package static func radius(_ style: OverlayStyle, width: Int, height: Int) -> Int {
        style.blurRadius ?? max(2, Int((Double(min(width, height)) * 0.02).rounded()))
    }

    /// `decoded` in the render target's format with the effect applied by `segmentation`.
    package func render(_ decoded: DecodedFrame, segmentation: Segmentation) throws -> RenderedFrame {
        let frame = try converter.convert(decoded)
        let planes = frame.planes
        if let refiner {
            // Refined at luma's size, guided by the frame's colour; chroma takes the refined weights.
            let guide = EdgeRefiner.Guide(yuv420: try guidePicture.planes(of: decoded, width: layout.width, height: layout.height))
            weights[0].refine(segmentation, sampler: samplers[0], tinted: tinted, with: refiner, guide: guide)
            weights[1].subsample(weights[0], log2Width: layout.log2ChromaWidth, log2Height: layout.log2ChromaHeight)
        } else {
            let soft = style.edges == .soft
            for index in 0..<2 { weights[index].fill(from: segmentation, sampler: samplers[index], soft: soft, tinted: tinted) }
        }
        switch style.mode {
        case .blur, .pixelate, .replace:
            let effect = try effectPicture(frame)
            for (index, plane) in planes.prefix(3).enumerated() {
                mix(plane, with: effect.planes[index], weights: weights[index == 0 ? 0 : 1])
            }
        case .cutout:
            if planes.count > 3 { writeAlpha(planes[3], weights: weights[0]) }
        case .matte:
            writeMatte(planes)
        case .blend, .mask:
            break
        }
        return frame
    }

    /// The picture the effect shows where it applies.
    private func effectPicture(_ frame: RenderedFrame) throws -> RenderedFrame {
        if style.mode == .replace, let background { return try background.next() }
        guard let shrink, let grow else { return frame }
        let small = try shrink.resize(frame)
        if style.mode == .blur {
            // Blurred from the blurred part's own samples (normalised convolution), so no colour
            // of the other part spreads into it: no halo of the person in a blurred room.
            var region: [Float] = []
            for (index, plane) in small.planes.prefix(3).enumerated() {
                let shiftW = index == 0 ? 0 : layout.log2ChromaWidth, shiftH = index == 0 ? 0 : layout.log2ChromaHeight
                let width = (shrink.width + (1 << shiftW) - 1) >> shiftW, height = (shrink.height + (1 << shiftH) - 1) >> shiftH
                if index < 2 {
                    region = RegionBlur.region(of: weights[index], width: width, height: height, foreground: style.applyTo == .foreground)
                }
                RegionBlur.blur(plane, width: width, height: height, radius: max(1, smallRadius >> shiftW), sixteenBit: layout.bitDepth > 8,
                                region: region)
            }
        }
        return try grow.resize(small)
    }

    /// Mixes `effect` into `plane` by the foreground weight: the picture where the weight keeps it.
    private func mix(_ plane: PlaneView, with effect: PlaneView, weights: ForegroundWeights) {
        if layout.bitDepth > 8 {
            mix(plane, with: effect, weights: weights, as: UInt16.self)
        } else {
            mix(plane, with: effect, weights: weights, as: UInt8.self)
        }
    }

    /// One plane of `Sample`s. No branch and no overflow check per sample (nothing can overflow:
    /// weights are 0…256, samples 16-bit at most), so the loop vectorises: a keep of 256 gives
    /// the picture exactly and 0 the effect exactly, as skipping would.
    private func mix<Sample: FixedWidthInteger & UnsignedInteger>(_ plane: PlaneView, with effect: PlaneView, weights: ForegroundWeights,
                                                                   as: Sample.Type)
    {
        // keep = base + sign·w in wrapping arithmetic: w for the background, 256 − w for the foreground.
        let (base, sign): (UInt32, UInt32) = style.applyTo == .foreground ? (256, UInt32.max) : (0, 1)
        let width = weights.width
        weights.values.withUnsafeBufferPointer { weight in
            for y in 0..<weights.height {
                let picture = (plane.pixels + y * plane.stride).assumingMemoryBound(to: Sample.self)
                let other = (effect.pixels + y * effect.stride).assumingMemoryBound(to: Sample.self)
                let row = weight.baseAddress! + y * width
                for x in 0..<width {
                    let keep = base &+ sign &* UInt32(row[x])
                    picture[x] = Sample(truncatingIfNeeded: (UInt32(picture[x]) &* keep &+ UInt32(other[x]) &* (256 &- keep) &+ 128) >> 8)
                }
            }
        }
    }

    /// The alpha plane: opaque foreground, transparent background, the probability between.
    private func writeAlpha(_ plane: PlaneView, weights: ForegroundWeights) {
        let largest = Int32((1 << layout.bitDepth) - 1)
        weights.values.withUnsafeBufferPointer { weight in
            for y in 0..<weights.height {
                let row = plane.pixels + y * plane.stride
                for x in 0..<weights.width {
                    let value = (Int32(weight[y * weights.width + x]) * largest + 128) >> 8
                    if layout.bitDepth > 8 {
                        row.assumingMemoryBound(to: UInt16.self)[x] = UInt16(value)
                    } else {
                        row.assumingMemoryBound(to: UInt8.self)[x] = UInt8(value)
                    }
                }
            }
        }
    }

    /// White foreground on black, neutral chroma.
    private func writeMatte(_ planes: [PlaneView]) {
        let shift = Int32(layout.bitDepth - 8)
        let black = Int32(layout.matrix.black.y) << shift, white = Int32(layout.matrix.fullRange ? 255 : 235) << shift
        let neutral = Int32(128) << shift
        for (index, plane) in planes.prefix(3).enumerated() {
            let weights = self.weights[index == 0 ? 0 : 1]
            weights.values.withUnsafeBufferPointer { weight in
                for y in 0..<weights.height {
                    let row = plane.pixels + y * plane.stride
                    for x in 0..<weights.width {
                        let value = index == 0 ? black + ((white - black) * Int32(weight[y * weights.width + x]) + 128) >> 8 : neutral
                        if layout.bitDepth > 8 {
                            row.assumingMemoryBound(to: UInt16.self)[x] = UInt16(value)
                        } else {
                            row.assumingMemoryBound(to: UInt8.self)[x] = UInt8(value)
                        }
                    }
                }
            }
        }
    }
}
