import CFFmpeg

/// Copies a decoded frame into a writable frame of the output's pixel format and size, so the
/// overlay can draw in place without touching buffers the decoder still references.
final class FrameConverter: @unchecked Sendable {
    // @unchecked: used by one thread at a time (the render stage).
    let width: Int
    let height: Int
    let pixelFormat: AVPixelFormat
    /// The colour matrix and range of the output frames.
    let colorspace: AVColorSpace
    let fullRange: Bool
    private var scaler: OpaquePointer?
    private var configured: (scaler: OpaquePointer, colorspace: AVColorSpace, fullRange: Bool)?

    init(width: Int, height: Int, pixelFormat: AVPixelFormat, colorspace: AVColorSpace, fullRange: Bool) {
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.colorspace = colorspace
        self.fullRange = fullRange
    }

    deinit {
        sws_freeContext(scaler)
    }

    /// Writes `source` into `destination`, allocating or un-sharing its buffers when needed,
    /// and copies the timestamp and colour tags.
    func convert(_ source: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<AVFrame>, path: String) throws {
        if destination.pointee.data.0 == nil {
            destination.pointee.format = pixelFormat.rawValue
            destination.pointee.width = Int32(width)
            destination.pointee.height = Int32(height)
            try checkFFmpeg(av_frame_get_buffer(destination, 0), path: path, operation: "allocating an output frame")
        } else {
            // The encoder may still hold a reference to last time's buffers.
            try checkFFmpeg(av_frame_make_writable(destination), path: path, operation: "allocating an output frame")
        }
        let sameLayout = AVPixelFormat(source.pointee.format) == pixelFormat && Int(source.pointee.width) == width
            && Int(source.pointee.height) == height
        if sameLayout {
            try checkFFmpeg(av_frame_copy(destination, source), path: path, operation: "copying a frame")
        } else {
            try scale(source, into: destination)
        }
        destination.pointee.pts = source.pointee.pts
        destination.pointee.pict_type = AV_PICTURE_TYPE_NONE
        destination.pointee.colorspace = colorspace
        destination.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        destination.pointee.color_primaries = source.pointee.color_primaries
        destination.pointee.color_trc = source.pointee.color_trc
        destination.pointee.sample_aspect_ratio = source.pointee.sample_aspect_ratio
    }

    private func scale(_ source: UnsafePointer<AVFrame>, into destination: UnsafeMutablePointer<AVFrame>) throws {
        scaler = sws_getCachedContext(
            scaler, source.pointee.width, source.pointee.height, AVPixelFormat(source.pointee.format),
            Int32(width), Int32(height), pixelFormat, SWS_BICUBIC, nil, nil, nil)
        guard let scaler else {
            throw VideoSegError.invalidOption("cannot convert \(source.pointee.width)x\(source.pointee.height) frames for the encoder")
        }
        let sourceFullRange = ColorDetails.isFullRange(source)
        if configured?.scaler != scaler || configured?.colorspace != source.pointee.colorspace
            || configured?.fullRange != sourceFullRange
        {
            ColorDetails.apply(to: scaler, source: source, destinationColorspace: colorspace, destinationFullRange: fullRange)
            configured = (scaler, source.pointee.colorspace, sourceFullRange)
        }
        withUnsafePointer(to: source.pointee.data) { sourceData in
            withUnsafePointer(to: source.pointee.linesize) { sourceLines in
                withUnsafeMutablePointer(to: &destination.pointee.data) { destinationData in
                    withUnsafeMutablePointer(to: &destination.pointee.linesize) { destinationLines in
                        sourceData.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sData in
                            sourceLines.withMemoryRebound(to: Int32.self, capacity: 8) { sLines in
                                destinationData.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dData in
                                    destinationLines.withMemoryRebound(to: Int32.self, capacity: 8) { dLines in
                                        _ = sws_scale(scaler, sData, sLines, 0, source.pointee.height, dData, dLines)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
