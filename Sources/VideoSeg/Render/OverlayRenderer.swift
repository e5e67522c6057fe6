/// Draws class colours onto the planes of an 8-bit planar YUV frame, in place.
///
/// Every pixel gets `(value·(256−w) + colour·w + 128) >> 8`, with a per-class weight `w` and
/// colour: `w = round(alpha·256)` for tinted classes in blend mode, 0 for the rest (the pixel is
/// kept exactly); in mask mode tinted classes get their colour (w = 256) and the rest black.
/// One formula, no branch per pixel.
public struct OverlayRenderer: Sendable {
    /// Per plane (Y, U, V) and class: the weight and the pre-multiplied colour plus rounding.
    private let weights: [[Int32]]
    private let addends: [[Int32]]

    /// Bits per sample of the planes drawn on (8, or up to 16 for high-bit-depth output).
    public let bitDepth: Int

    /// Prepares the per-class tables for `classCount` classes coloured `colors` in `matrix`, for
    /// planes of `bitDepth` bits (colours are scaled up from 8 bits).
    public init(style: OverlayStyle, colors: [(r: UInt8, g: UInt8, b: UInt8)], matrix: YUVMatrix, bitDepth: Int = 8) {
        self.bitDepth = bitDepth
        let alphaWeight = Int32((max(0, min(1, style.alpha)) * 256).rounded())
        let black = matrix.black
        var weights = [[Int32]](repeating: [Int32](repeating: 0, count: 256), count: 3)
        var addends = [[Int32]](repeating: [Int32](repeating: 128, count: 256), count: 3)
        for id in 0..<256 {
            let tinted = id < colors.count && style.tints(id)
            let weight: Int32
            let color: (y: UInt8, u: UInt8, v: UInt8)
            switch (style.mode, tinted) {
            case (.blend, true):
                weight = alphaWeight
                color = matrix.yuv(r: colors[id].r, g: colors[id].g, b: colors[id].b)
            case (.blend, false):
                weight = 0
                color = black
            case (.mask, true):
                weight = 256
                color = matrix.yuv(r: colors[id].r, g: colors[id].g, b: colors[id].b)
            case (.mask, false):
                weight = 256
                color = black
            }
            let components = [color.y, color.u, color.v]
            for plane in 0..<3 {
                weights[plane][id] = weight
                addends[plane][id] = (Int32(components[plane]) << Int32(bitDepth - 8)) * weight + 128
            }
        }
        self.weights = weights
        self.addends = addends
    }

    /// Tints one plane (0 = Y, 1 = U, 2 = V) of `width`×`height` samples at `pixels` (`stride`
    /// bytes a row, 8-bit samples, or 16-bit ones when `bitDepth` > 8), reading classes from
    /// `classMap` through `sampler`.
    public func render(plane: Int, pixels: UnsafeMutableRawPointer, stride: Int, width: Int, height: Int,
                       classMap: UnsafePointer<UInt8>, sampler: ClassMapSampler)
    {
        if bitDepth > 8 {
            render(plane: plane, samples: UInt16.self, pixels: pixels, stride: stride, width: width, height: height,
                   classMap: classMap, sampler: sampler)
        } else {
            render(plane: plane, samples: UInt8.self, pixels: pixels, stride: stride, width: width, height: height,
                   classMap: classMap, sampler: sampler)
        }
    }

    private func render<Sample: FixedWidthInteger & UnsignedInteger>(
        plane: Int, samples: Sample.Type, pixels: UnsafeMutableRawPointer, stride: Int, width: Int, height: Int,
        classMap: UnsafePointer<UInt8>, sampler: ClassMapSampler
    ) {
        weights[plane].withUnsafeBufferPointer { weight in
            addends[plane].withUnsafeBufferPointer { addend in
                sampler.columnOffset.withUnsafeBufferPointer { columns in
                    for y in 0..<height {
                        let row = (pixels + y * stride).assumingMemoryBound(to: Sample.self)
                        let classRow = classMap + sampler.rowOffset[y]
                        for x in 0..<width {
                            let id = Int(classRow[columns[x]])
                            let value = Int32(truncatingIfNeeded: row[x]) &* (256 &- weight[id]) &+ addend[id]
                            row[x] = Sample(truncatingIfNeeded: value >> 8)
                        }
                    }
                }
            }
        }
    }
}
