import CFFmpeg

/// The render stage's work for one video sink: copy a decoded frame into the encoder's format
/// and size, then draw the class map onto it. Everything that depends only on the output (the
/// swscale set-up, the per-class colour tables at the output's depth and colour matrix, the
/// class-map sampling tables for luma and chroma) is prepared once here. One thread uses it.
final class FrameRenderer: @unchecked Sendable {
    // @unchecked: its converter is used by one thread at a time (the render stage).
    private let converter: FrameConverter
    private let overlay: OverlayRenderer
    private let luma: ClassMapSampler
    private let chroma: ClassMapSampler
    private let path: String

    /// Prepares rendering into frames `sink` takes, of a source shown with `orientation`, from
    /// upright class maps of `mapWidth`×`mapHeight`.
    init(sink: VideoSink, width: Int, height: Int, orientation: Orientation, mapWidth: Int, mapHeight: Int,
         style: OverlayStyle, colors: [(r: UInt8, g: UInt8, b: UInt8)])
    {
        path = sink.path
        converter = FrameConverter(width: width, height: height, pixelFormat: sink.pixelFormat, colorspace: sink.colorspace,
                                   fullRange: sink.fullRange)
        let descriptor = av_pix_fmt_desc_get(sink.pixelFormat)!.pointee
        overlay = OverlayRenderer(
            style: style, colors: colors,
            matrix: YUVMatrix(colorspace: sink.colorspace, range: sink.fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG),
            bitDepth: Int(descriptor.comp.0.depth))
        luma = ClassMapSampler(frameWidth: width, frameHeight: height, orientation: orientation, mapWidth: mapWidth, mapHeight: mapHeight)
        let shiftW = Int(descriptor.log2_chroma_w), shiftH = Int(descriptor.log2_chroma_h)
        chroma = luma.subsampled(log2Width: shiftW, log2Height: shiftH, planeWidth: (width + (1 << shiftW) - 1) >> shiftW,
                                 planeHeight: (height + (1 << shiftH) - 1) >> shiftH)
    }

    /// Writes `decoded` with `classMap` drawn on it into `frame`.
    func render(_ decoded: UnsafePointer<AVFrame>, classMap: UnsafePointer<UInt8>, into frame: UnsafeMutablePointer<AVFrame>) throws {
        try converter.convert(decoded, into: frame, path: path)
        let planes = [frame.pointee.data.0, frame.pointee.data.1, frame.pointee.data.2]
        let strides = [frame.pointee.linesize.0, frame.pointee.linesize.1, frame.pointee.linesize.2]
        for plane in 0..<3 {
            let sampler = plane == 0 ? luma : chroma
            overlay.render(plane: plane, pixels: UnsafeMutableRawPointer(planes[plane]!), stride: Int(strides[plane]),
                           width: sampler.columnOffset.count, height: sampler.rowOffset.count, classMap: classMap, sampler: sampler)
        }
    }
}
