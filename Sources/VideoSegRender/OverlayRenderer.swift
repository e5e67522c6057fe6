import VideoSegCore
import VideoSegMedia
import VideoSegModel

/// Draws class colours onto the planes of a planar YUV frame, in place.
///
/// Every sample becomes `(value·(256−w) + a + 128) >> 8` for a weight `w` (0–256) and an addend
/// `a` (the colour times its weight).
/// - Hard edges: `w` and `a` belong to the sample's class, the argmax of the scores interpolated
///   to the sample (`w = round(alpha·256)` for tinted classes in blend mode, 0 for the rest, so
///   the pixel is kept exactly; in mask mode tinted classes get their colour and the rest black).
/// - Soft edges: `w` and `a` are interpolated from per-cell values at the model's resolution:
///   in blend mode `w = 256·alpha·P` and `a = 256·alpha·Σ p_c·colour_c` over the tinted classes
///   (`P` their total probability), so the tint fades with the probability and never steps
///   where the winning class flips; in mask mode `w = 256` and the colour is the same mix over
///   black. Both are linear in the probabilities, so interpolating them equals mixing the
///   interpolated probabilities, and nothing is computed per class at the output size.
public struct OverlayRenderer: Sendable {
    /// Per plane (Y, U, V) and class: the weight and the pre-multiplied colour plus rounding.
    private let weights: [[Int32]]
    private let addends: [[Int32]]
    /// Per plane: the colour value as an affine function of RGB, scaled to the plane's depth.
    private let linear: [(red: Float, green: Float, blue: Float, offset: Float)]
    /// Per plane: black at the plane's depth.
    private let black: [Float]
    private let style: OverlayStyle

    /// Bits per sample of the planes drawn on (8, or up to 16 for high-bit-depth output).
    public let bitDepth: Int

    /// Prepares the per-class tables for `classCount` classes coloured `colors` in `matrix`, for
    /// planes of `bitDepth` bits (colours are scaled up from 8 bits).
    public init(style: OverlayStyle, colors: [(r: UInt8, g: UInt8, b: UInt8)], matrix: YUVMatrix, bitDepth: Int = 8) {
        self.bitDepth = bitDepth
        self.style = style
        let alphaWeight = Int32((max(0, min(1, style.alpha)) * 256).rounded())
        let blackColor = matrix.black
        var weights = [[Int32]](repeating: [Int32](repeating: 0, count: 256), count: 3)
        var addends = [[Int32]](repeating: [Int32](repeating: 128, count: 256), count: 3)
        for id in 0..<256 {
            let tinted = id < colors.count && style.tints(id)
            let weight: Int32
            let color: (y: UInt8, u: UInt8, v: UInt8)
            // The effects are drawn by EffectRenderer; here they are drawn as blend.
            switch (style.mode == .mask, tinted) {
            case (false, true):
                weight = alphaWeight
                color = matrix.yuv(r: colors[id].r, g: colors[id].g, b: colors[id].b)
            case (false, false):
                weight = 0
                color = blackColor
            case (true, true):
                weight = 256
                color = matrix.yuv(r: colors[id].r, g: colors[id].g, b: colors[id].b)
            case (true, false):
                weight = 256
                color = blackColor
            }
            let components = [color.y, color.u, color.v]
            for plane in 0..<3 {
                weights[plane][id] = weight
                addends[plane][id] = (Int32(components[plane]) << Int32(bitDepth - 8)) * weight + 128
            }
        }
        self.weights = weights
        self.addends = addends
        let depthScale = Float(1 << (bitDepth - 8))
        linear = (0..<3).map { plane in
            let l = matrix.linear(plane: plane)
            return (Float(l.red) * depthScale, Float(l.green) * depthScale, Float(l.blue) * depthScale, Float(l.offset) * depthScale)
        }
        black = [Float(blackColor.y), Float(blackColor.u), Float(blackColor.v)].map { $0 * depthScale }
    }

    /// Per-cell soft-edge weights and addends for one frame, at the model's resolution: the same
    /// weight for every plane, an addend per plane.
    public struct CellTables {
        package var weight: [Float] = []
        var addend: [[Float]] = [[], [], []]
    }

    /// Fills `tables` for `segmentation` (which must carry its foreground and tint). Weights and
    /// addends are rounded to whole steps, so cells far from any edge are exactly equal to their
    /// neighbours and the drawing can skip the arithmetic there.
    func fill(_ tables: inout CellTables, from segmentation: Segmentation) {
        let cells = segmentation.cellCount
        guard let foreground = segmentation.foreground?.baseAddress, let tint = segmentation.tint?.baseAddress else { return }
        if tables.weight.count != cells {
            tables.weight = [Float](repeating: 0, count: cells)
            tables.addend = [[Float]](repeating: [Float](repeating: 0, count: cells), count: 3)
        }
        let alpha = Float(max(0, min(1, style.alpha)))
        let red = tint, green = tint + cells, blue = tint + 2 * cells
        for cell in 0..<cells {
            let probability = foreground[cell]
            let weight = style.mode == .mask ? 256 : roundedUp(256 * alpha * probability)
            tables.weight[cell] = weight
            for plane in 0..<3 {
                let l = linear[plane]
                let color = l.red * red[cell] + l.green * green[cell] + l.blue * blue[cell] + l.offset * probability
                let addend: Float
                if style.mode == .mask {
                    addend = 256 * (color + (1 - probability) * black[plane])
                } else {
                    addend = weight == 0 ? 0 : 256 * alpha * color
                }
                tables.addend[plane][cell] = roundedUp(addend)
            }
        }
    }

    /// `value` (never negative here) rounded half up, without a call into libm.
    @inline(__always)
    private func roundedUp(_ value: Float) -> Float { Float(Int32(value + 0.5)) }

    /// Draws on one plane (0 = Y, 1 = U, 2 = V) of `width`×`height` samples at `pixels` (`stride`
    /// bytes a row, 8-bit samples, or 16-bit ones when `bitDepth` > 8), reading `segmentation`
    /// through `sampler`; soft edges use `tables` from `fill`.
    package func render(plane: Int, pixels: UnsafeMutableRawPointer, stride: Int, width: Int, height: Int,
                segmentation: Segmentation, sampler: BilinearSampler, tables: CellTables)
    {
        if bitDepth > 8 {
            render(plane: plane, samples: UInt16.self, pixels: pixels, stride: stride, width: width, height: height,
                   segmentation: segmentation, sampler: sampler, tables: tables)
        } else {
            render(plane: plane, samples: UInt8.self, pixels: pixels, stride: stride, width: width, height: height,
                   segmentation: segmentation, sampler: sampler, tables: tables)
        }
    }

    private func render<Sample: FixedWidthInteger & UnsignedInteger>(
        plane: Int, samples: Sample.Type, pixels: UnsafeMutableRawPointer, stride: Int, width: Int, height: Int,
        segmentation: Segmentation, sampler: BilinearSampler, tables: CellTables
    ) {
        let rows = UnsafeMutableRawPointer(pixels)
        if style.edges != .hard && segmentation.foreground != nil && segmentation.tint != nil {
            renderSoft(plane: plane, samples: Sample.self, rows: rows, stride: stride, width: width, height: height,
                       sampler: sampler, tables: tables)
            return
        }
        // Hard edges, a row at a time: along the line between the row's two map rows, the class
        // where both agree (or `mixed`); a sample between two agreeing, equal entries takes that
        // class at once, the rest interpolate the scores.
        let length = sampler.lineLength, mixed = UInt16.max
        var lineClass = [UInt16](repeating: mixed, count: length)
        let firstIndex = sampler.columnLineIndices.first
        let cells = segmentation.classes.baseAddress
        weights[plane].withUnsafeBufferPointer { weight in
            addends[plane].withUnsafeBufferPointer { addend in
                sampler.columns.withUnsafeBufferPointer { columns in
                    firstIndex.withUnsafeBufferPointer { first in
                        lineClass.withUnsafeMutableBufferPointer { line in
                            for y in 0..<height {
                                let rowTap = sampler.rows[y]
                                for j in 0..<length {
                                    let offset = sampler.lineOffset(j)
                                    let a = cells[rowTap.first + offset]
                                    line[j] = a == cells[rowTap.second + offset] ? UInt16(a) : mixed
                                }
                                let row = (rows + y * stride).assumingMemoryBound(to: Sample.self)
                                for x in 0..<width {
                                    let j0 = Int(first[x])
                                    let c0 = line[j0], c1 = line[min(j0 + 1, length - 1)]
                                    let id = c0 == c1 && c0 != mixed
                                        ? Int(c0) : Int(segmentation.classAt(row: rowTap, column: columns[x], sampler: sampler))
                                    // Untinted in blend mode: the sample stays exactly as it is.
                                    if weight[id] == 0 { continue }
                                    let value = Int32(truncatingIfNeeded: row[x]) &* (256 &- weight[id]) &+ addend[id]
                                    row[x] = Sample(truncatingIfNeeded: value >> 8)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Soft edges, a row at a time: the weights and addends are interpolated down the map once
    /// per row (one value per cell across), and each pair of neighbouring cells on that line is
    /// classed once: no tint (the samples between them are left as they are), one whole-number
    /// tint (the integer formula), or a ramp (interpolated across per sample). Samples look up
    /// their pair's class, so away from edges a sample costs a load and a branch.
    private func renderSoft<Sample: FixedWidthInteger & UnsignedInteger>(
        plane: Int, samples: Sample.Type, rows: UnsafeMutableRawPointer, stride: Int, width: Int, height: Int,
        sampler: BilinearSampler, tables: CellTables
    ) {
        let length = sampler.lineLength
        var lineWeight = [Float](repeating: 0, count: length), lineAddend = [Float](repeating: 0, count: length)
        var pairKind = [UInt8](repeating: 0, count: length)
        let firstIndex = sampler.columnLineIndices.first
        tables.weight.withUnsafeBufferPointer { weight in
            tables.addend[plane].withUnsafeBufferPointer { addend in
                lineWeight.withUnsafeMutableBufferPointer { lineW in
                    lineAddend.withUnsafeMutableBufferPointer { lineA in
                        pairKind.withUnsafeMutableBufferPointer { kind in
                            firstIndex.withUnsafeBufferPointer { first in
                                sampler.columns.withUnsafeBufferPointer { columns in
                                    // Which lines of the map (along the rows' axis) carry any tint at all.
                                    let rowStep = sampler.rowsFollowMapRows ? sampler.mapWidth : 1
                                    let lines = sampler.rowsFollowMapRows ? sampler.mapHeight : sampler.mapWidth
                                    let tintedLines = (0..<lines).map { line in
                                        (0..<length).contains { weight[line * rowStep + sampler.lineOffset($0)] != 0 }
                                    }
                                    for y in 0..<height {
                                        let tap = sampler.rows[y]
                                        guard tintedLines[tap.first / rowStep] || tintedLines[tap.second / rowStep] else { continue }
                                        guard OverlayRenderer.interpolateLine(tap, sampler: sampler, weight: weight, addend: addend,
                                                                              into: lineW, lineA, kinds: kind) else { continue }
                                        let row = (rows + y * stride).assumingMemoryBound(to: Sample.self)
                                        OverlayRenderer.blendRow(row, width: width, lineWeight: lineW, lineAddend: lineA, kinds: kind,
                                                                 first: first, columns: columns)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// A sample pair left as it is, tinted by one whole-number weight, or ramped across.
    private static let untouched: UInt8 = 0, flat: UInt8 = 1, ramp: UInt8 = 2

    /// Interpolates the weights and addends down the map for the row at `tap` (one value per
    /// cell across) and classes each neighbouring pair; false when nothing on the row is tinted.
    @inline(__always)
    private static func interpolateLine(_ tap: BilinearSampler.Tap, sampler: BilinearSampler, weight: UnsafeBufferPointer<Float>,
                                        addend: UnsafeBufferPointer<Float>, into lineW: UnsafeMutableBufferPointer<Float>,
                                        _ lineA: UnsafeMutableBufferPointer<Float>, kinds kind: UnsafeMutableBufferPointer<UInt8>) -> Bool
    {
        let length = sampler.lineLength
        let t = tap.weight
        var anyTint = false
        for j in 0..<length {
            let offset = sampler.lineOffset(j)
            let w0 = weight[tap.first + offset], w1 = weight[tap.second + offset]
            let a0 = addend[tap.first + offset], a1 = addend[tap.second + offset]
            lineW[j] = w0 + (w1 - w0) * t
            lineA[j] = a0 + (a1 - a0) * t
            anyTint = anyTint || w0 != 0 || w1 != 0
        }
        guard anyTint else { return false }
        for j in 0..<length {
            let next = min(j + 1, length - 1)
            let w = lineW[j], a = lineA[j]
            if w == lineW[next] && a == lineA[next] && Float(Int32(w)) == w && Float(Int32(a)) == a {
                kind[j] = w == 0 ? untouched : flat
            } else {
                kind[j] = ramp
            }
        }
        return true
    }

    /// Blends one row of samples with its interpolated line: a load and a branch where untouched,
    /// the integer formula where flat, interpolation across the pair where ramped.
    @inline(__always)
    private static func blendRow<Sample: FixedWidthInteger & UnsignedInteger>(
        _ row: UnsafeMutablePointer<Sample>, width: Int, lineWeight lineW: UnsafeMutableBufferPointer<Float>,
        lineAddend lineA: UnsafeMutableBufferPointer<Float>, kinds kind: UnsafeMutableBufferPointer<UInt8>,
        first: UnsafeBufferPointer<Int32>, columns: UnsafeBufferPointer<BilinearSampler.Tap>
    ) {
        let length = lineW.count
        let largest = Float(Sample.max)
        for x in 0..<width {
            let j0 = Int(first[x])
            switch kind[j0] {
            case untouched:
                continue
            case flat:
                let value = Int32(truncatingIfNeeded: row[x]) &* (256 &- Int32(lineW[j0])) &+ Int32(lineA[j0]) &+ 128
                row[x] = Sample(truncatingIfNeeded: value >> 8)
            default:
                let j1 = min(j0 + 1, length - 1)
                let s = columns[x].weight
                let w = lineW[j0] + (lineW[j1] - lineW[j0]) * s
                let a = lineA[j0] + (lineA[j1] - lineA[j0]) * s
                // Non-negative, so adding a half and truncating rounds.
                let value = (Float(row[x]) * (256 - w) + a) * (1 / 256) + 0.5
                row[x] = Sample(truncatingIfNeeded: Int32(min(largest, max(0, value))))
            }
        }
    }
}
