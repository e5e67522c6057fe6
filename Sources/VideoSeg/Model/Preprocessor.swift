import CFFmpeg

/// Turns a decoded frame into the model's input: scaled by swscale to the model size as RGB
/// (honouring the frame's colour matrix and range), turned upright, and normalised with the
/// model's mean/std into a float32 `[3,H,W]` buffer the caller owns and reuses.
public final class Preprocessor: @unchecked Sendable {
    // @unchecked: its scaler and buffer are used by one thread at a time (the preprocess stage).
    /// The model input's upright size.
    public let width: Int
    public let height: Int
    private let orientation: Orientation
    /// Per channel, the normalised value of each 8-bit sample: `(v/255 − mean) / std`.
    private let lookup: [[Float]]
    private let scaler = FrameScaler()
    private var rgb: UnsafeMutablePointer<UInt8>
    private let rgbStride: Int
    private let storedWidth: Int
    private let storedHeight: Int

    /// Prepares for frames shown with `orientation`, feeding a model of `width`×`height`.
    public init(width: Int, height: Int, orientation: Orientation, mean: [Float], std: [Float]) {
        self.width = width
        self.height = height
        self.orientation = orientation
        let stored = orientation.storedSize(uprightWidth: width, height: height)
        storedWidth = stored.width
        storedHeight = stored.height
        rgbStride = (stored.width * 3 + 63) & ~63
        rgb = av_malloc(rgbStride * stored.height + 64)!.assumingMemoryBound(to: UInt8.self)
        lookup = (0..<3).map { channel in
            (0..<256).map { value in (Float(value) / 255 - mean[channel]) / std[channel] }
        }
    }

    deinit {
        av_free(rgb)
    }

    /// The number of floats one frame needs.
    public var tensorCount: Int { 3 * width * height }

    /// Fills `tensor` (`tensorCount` floats) from `frame`.
    public func process(_ frame: UnsafePointer<AVFrame>, into tensor: UnsafeMutablePointer<Float>) throws {
        try scaleToRGB(frame)
        normalise(into: tensor)
    }

    private func scaleToRGB(_ frame: UnsafePointer<AVFrame>) throws {
        var destination: [UnsafeMutablePointer<UInt8>?] = [rgb, nil, nil, nil]
        var strides: [Int32] = [Int32(rgbStride), 0, 0, 0]
        try scaler.scale(frame, width: storedWidth, height: storedHeight, format: AV_PIX_FMT_RGB24, flags: SWS_BILINEAR,
                         destinationColorspace: AVCOL_SPC_UNSPECIFIED, destinationFullRange: true,
                         data: &destination, strides: &strides)
    }

    private func normalise(into tensor: UnsafeMutablePointer<Float>) {
        let walk = orientation.uprightWalk(width: storedWidth, height: storedHeight, stride: rgbStride, bytesPerPixel: 3)
        let plane = width * height
        lookup[0].withUnsafeBufferPointer { red in
            lookup[1].withUnsafeBufferPointer { green in
                lookup[2].withUnsafeBufferPointer { blue in
                    for y in 0..<height {
                        var offset = walk.origin + y * walk.stepY
                        let row = y * width
                        for x in 0..<width {
                            tensor[row + x] = red[Int(rgb[offset])]
                            tensor[plane + row + x] = green[Int(rgb[offset + 1])]
                            tensor[2 * plane + row + x] = blue[Int(rgb[offset + 2])]
                            offset += walk.stepX
                        }
                    }
                }
            }
        }
    }
}
