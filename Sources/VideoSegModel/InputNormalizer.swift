import VideoSegCore

/// Turns a packed RGB picture into the model's input: turned upright and normalised with the
/// model's mean/std, `(v/255 − mean) / std` per channel, into a float32 `[3,H,W]` buffer.
public struct InputNormalizer: Sendable {
    /// The model input's upright size.
    public let width: Int
    public let height: Int
    /// Per channel, the normalised value of each 8-bit sample.
    private let lookup: [[Float]]

    /// Normalises for a model of `width`×`height` with `mean` and `std` (3 values each).
    public init(width: Int, height: Int, mean: [Float], std: [Float]) {
        self.width = width
        self.height = height
        lookup = (0..<3).map { channel in
            (0..<256).map { value in (Float(value) / 255 - mean[channel]) / std[channel] }
        }
    }

    /// The number of floats one picture needs.
    public var tensorCount: Int { 3 * width * height }

    /// Fills `tensor` (`tensorCount` floats) from `image`, a stored picture shown with
    /// `orientation` whose upright size is the model's.
    public func normalize(_ image: RGBImage, orientation: Orientation, into tensor: UnsafeMutablePointer<Float>) {
        let walk = orientation.uprightWalk(width: image.width, height: image.height, stride: image.stride, bytesPerPixel: 3)
        let plane = width * height
        let rgb = image.pixels
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
