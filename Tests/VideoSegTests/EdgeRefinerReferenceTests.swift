import Testing

@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegRender

/// The edge refiner's shortcuts (integer sums, certain blocks filled without the guide, certain
/// pairs of cells filled without interpolating) against the filter written out plainly, sample
/// by sample: the same weights, up to float rounding.
@Suite struct EdgeRefinerReferenceTests {
    /// A picture with edges, gradients and texture, and a weight with ramps, both pseudo-random.
    struct Scene {
        let width: Int, height: Int
        var luma: [UInt8] = [], weights: [UInt16] = []

        /// `flat`: one grey, so the filtered weight is the coarse one and ramps slowly through
        /// the levels where the output first leaves 0 and reaches 256.
        init(width: Int, height: Int, seed: UInt64, flat: Bool = false) {
            self.width = width
            self.height = height
            var state = seed
            func noise() -> Int {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int(state >> 59)
            }
            for y in 0..<height {
                for x in 0..<width {
                    let inside = (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2) * 4 < width * width / 9
                    luma.append(flat ? 100 : UInt8((inside ? 190 : 30 + x % 50) + noise()))
                    // The coarse weight: a disc a few samples off the picture's, with a ramp; and
                    // in the top rows a gentle ramp where the picture has no edge to snap to.
                    let distance = Double((x - width / 2 - 4) * (x - width / 2 - 4) + (y - height / 2) * (y - height / 2) * 4).squareRoot()
                    let disc = (Double(width) / 3 - distance) * 20 + 128, ramp = y < height / 4 ? Double(x - width / 2) * 4 + 128 : 0
                    weights.append(UInt16(max(0, min(256, max(disc, ramp)))))
                }
            }
        }
    }

    /// The filter as the documentation states it, with plain loops and float sums: the guide's
    /// channels (one: luma; three: luma, U, V) in [0, 1] at every sample.
    func reference(_ scene: Scene, guide value: (Int, Int) -> [Float], epsilon: Float = EdgeRefiner().epsilon, factor: Int = EdgeRefiner().factor,
                   radius: Int = EdgeRefiner().radius) -> [UInt16]
    {
        let (w, h) = (scene.width, scene.height), sw = (w + factor - 1) / factor, sh = (h + factor - 1) / factor
        let channels = value(0, 0).count
        var gs = [[Float]](repeating: [Float](repeating: 0, count: sw * sh), count: channels), p = [Float](repeating: 0, count: sw * sh)
        for cy in 0..<sh {
            for cx in 0..<sw {
                let xs = (cx * factor)..<min(w, cx * factor + factor), ys = (cy * factor)..<min(h, cy * factor + factor)
                for y in ys { for x in xs {
                    for (c, v) in value(x, y).enumerated() { gs[c][cy * sw + cx] += v }
                    p[cy * sw + cx] += Float(scene.weights[y * w + x]) / 256
                } }
                for c in 0..<channels { gs[c][cy * sw + cx] /= Float(xs.count * ys.count) }
                p[cy * sw + cx] /= Float(xs.count * ys.count)
            }
        }
        func box(_ v: [Float]) -> [Float] {
            (0..<(sw * sh)).map { cell in
                var sum: Float = 0
                for dy in -radius...radius { for dx in -radius...radius {
                    sum += v[min(sh - 1, max(0, cell / sw + dy)) * sw + min(sw - 1, max(0, cell % sw + dx))]
                } }
                return sum / Float((2 * radius + 1) * (2 * radius + 1))
            }
        }
        let (slopes, b) = channels == 1
            ? lumaCoefficients(g: gs[0], p: p, box: box, epsilon: epsilon) : colourCoefficients(gs: gs, p: p, box: box, epsilon: epsilon)
        let columns = BilinearSampler.taps(input: sw, output: w, indices: Array(0..<w), stride: 1)
        let rows = BilinearSampler.taps(input: sh, output: h, indices: Array(0..<h), stride: sw)
        return (0..<(w * h)).map { index in
            let (r, c) = (rows[index / w], columns[index % w])
            // Down the grid first, then across, as the refiner's rows are.
            func at(_ v: [Float]) -> Float {
                let left = v[r.first + c.first] + (v[r.second + c.first] - v[r.first + c.first]) * r.weight
                let right = v[r.first + c.second] + (v[r.second + c.second] - v[r.first + c.second]) * r.weight
                return left + (right - left) * c.weight
            }
            let guided = zip(slopes, value(index % w, index / w)).map { at($0) * $1 }.reduce(0, +)
            let q = (guided + at(b) - 0.5) * 2 + 0.5
            return UInt16(min(256, max(0, q * 256 + 0.5)))
        }
    }

    /// `a` and `b` of the grey guided filter, box-averaged.
    func lumaCoefficients(g: [Float], p: [Float], box: ([Float]) -> [Float], epsilon: Float) -> ([[Float]], [Float]) {
        let mg = box(g), mp = box(p), mgg = box(g.map { $0 * $0 }), mgp = box(zip(g, p).map { $0 * $1 })
        let a0 = g.indices.map { (cell: Int) -> Float in
            let variance: Float = max(0, mgg[cell] - mg[cell] * mg[cell])
            return (mgp[cell] - mg[cell] * mp[cell]) / (variance + epsilon)
        }
        return ([box(a0)], box(g.indices.map { (cell: Int) -> Float in mp[cell] - a0[cell] * mg[cell] }))
    }

    /// `a` (three slopes) and `b` of the colour guided filter, box-averaged; each window's system
    /// solved by Gaussian elimination (the refiner uses the adjugate). The channels are centred
    /// on one half, as the refiner's are (which changes only rounding), and `b` shifted back.
    func colourCoefficients(gs uncentred: [[Float]], p: [Float], box: ([Float]) -> [Float], epsilon: Float) -> ([[Float]], [Float]) {
        let gs = uncentred.map { $0.map { $0 - 0.5 } }
        let means = gs.map(box), mp = box(p)
        let moments = (0..<3).map { i in (0..<3).map { j in box(zip(gs[i], gs[j]).map { $0 * $1 }) } }
        let products = gs.map { g in box(zip(g, p).map { $0 * $1 }) }
        var slopes = [[Float]](repeating: [Float](repeating: 0, count: p.count), count: 3), b = [Float](repeating: 0, count: p.count)
        for cell in p.indices {
            // The augmented system [Σ + εI | cov], rows of four.
            var m = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 3)
            for i in 0..<3 {
                let mean: Double = Double(means[i][cell])
                for j in 0..<3 {
                    let moment: Double = Double(moments[i][j][cell])
                    m[i][j] = moment - mean * Double(means[j][cell])
                }
                m[i][i] += Double(epsilon)
                m[i][3] = Double(products[i][cell]) - mean * Double(mp[cell])
            }
            for k in 0..<3 {
                for i in (k + 1)..<3 {
                    let f: Double = m[i][k] / m[k][k]
                    for j in k...3 { m[i][j] -= f * m[k][j] }
                }
            }
            var a = [Double](repeating: 0, count: 3)
            for k in stride(from: 2, through: 0, by: -1) {
                var rest: Double = m[k][3]
                for j in (k + 1)..<3 { rest -= m[k][j] * a[j] }
                a[k] = rest / m[k][k]
            }
            var offset: Double = Double(mp[cell])
            for c in 0..<3 {
                slopes[c][cell] = Float(a[c])
                offset -= a[c] * Double(means[c][cell])
            }
            b[cell] = Float(offset)
        }
        let boxed = slopes.map(box)
        return (boxed, zip(box(b).indices, box(b)).map { cell, offset in offset - 0.5 * (boxed[0][cell] + boxed[1][cell] + boxed[2][cell]) })
    }

    /// Compares the refiner on `scene` read through `guide` with the reference.
    /// `different`: how many samples may be a level off (a thousandth of them unless given).
    func compare(_ scene: Scene, guide: EdgeRefiner.Guide, different: Int? = nil, value: (Int, Int) -> [Float]) {
        var refined = scene.weights
        refined.withUnsafeMutableBufferPointer {
            EdgeRefiner(temporal: 0).refine($0, width: scene.width, height: scene.height, guide: guide)
        }
        let expected = reference(scene, guide: value)
        let differences = zip(refined, expected).map { abs(Int($0) - Int($1)) }
        #expect(differences.max() ?? 0 <= 1)
        #expect(differences.filter { $0 > 0 }.count <= different ?? differences.count / 1000, "\(differences.filter { $0 > 0 }.count) samples differ")
        // The scene has certain regions and uncertain ones, so both ways through are taken.
        #expect(refined.contains(0) && refined.contains(256) && refined.contains { $0 > 0 && $0 < 256 })
    }

    @Test(arguments: [(203, 117, false), (160, 96, false), (33, 9, false), (160, 96, true)])
    func theRefinerEqualsThePlainFilter(width: Int, height: Int, flat: Bool) {
        let scene = Scene(width: width, height: height, seed: UInt64(width), flat: flat)
        scene.luma.withUnsafeBytes { bytes in
            compare(scene, guide: EdgeRefiner.Guide(base: bytes.baseAddress!, origin: 0, stepX: 1, stepY: width, bitDepth: 8)) { x, y in
                [Float(scene.luma[y * width + x]) / 255]
            }
        }
    }

    @Test func aTransposedSixteenBitGuideReadsTheSameSamples() {
        let scene = Scene(width: 70, height: 50, seed: 7)
        // Stored column by column, 10-bit: sample (x, y) at element x·height + y.
        var stored = [UInt16](repeating: 0, count: 70 * 50)
        for y in 0..<50 { for x in 0..<70 { stored[x * 50 + y] = UInt16(scene.luma[y * 70 + x]) * 4 } }
        stored.withUnsafeBytes { bytes in
            compare(scene, guide: EdgeRefiner.Guide(base: bytes.baseAddress!, origin: 0, stepX: 100, stepY: 2, bitDepth: 10)) { x, y in
                [Float(stored[x * 50 + y]) / 1023]
            }
        }
    }

    /// The colour guide: luma with the scene's edges, and 4:2:0 chroma with a vertical edge of its
    /// own (a quarter across, where luma has none) and noise, 8-bit and 10-bit.
    @Test(arguments: [(203, 117, 8), (160, 96, 10), (33, 9, 8)])
    func theColourRefinerEqualsThePlainFilter(width: Int, height: Int, bitDepth: Int) {
        let scene = Scene(width: width, height: height, seed: UInt64(width + bitDepth))
        let (cw, ch) = ((width + 1) / 2, (height + 1) / 2), unit = (1 << (bitDepth - 8))
        let u = (0..<(cw * ch)).map { UInt16(((($0 % cw) * 2 < width / 2 ? 70 : 180) + ($0 * 37) % 11) * unit) }
        let v = (0..<(cw * ch)).map { UInt16((128 + (($0 / cw) * 5) % 40 + ($0 * 13) % 7) * unit) }
        let luma = scene.luma.map { UInt16($0) * UInt16(unit) }
        let depth = Float((1 << bitDepth) - 1)
        func channel(_ bytes: UnsafeRawBufferPointer, stride: Int, log2: Int) -> EdgeRefiner.Guide.Channel {
            .init(base: bytes.baseAddress!, origin: 0, stepX: bitDepth > 8 ? 2 : 1, stepY: stride * (bitDepth > 8 ? 2 : 1), bitDepth: bitDepth,
                  log2Width: log2, log2Height: log2)
        }
        func stored(_ values: [UInt16]) -> [UInt8] {
            bitDepth > 8 ? values.withUnsafeBytes { Array($0) } : values.map { UInt8($0) }
        }
        let (y8, u8, v8) = (stored(luma), stored(u), stored(v))
        y8.withUnsafeBytes { yb in u8.withUnsafeBytes { ub in v8.withUnsafeBytes { vb in
            let guide = EdgeRefiner.Guide(luma: channel(yb, stride: width, log2: 0),
                                          chroma: (channel(ub, stride: cw, log2: 1), channel(vb, stride: cw, log2: 1)))
            // The 3×3 systems magnify float rounding more than luma's division: a few samples
            // of a small picture may round the other way.
            compare(scene, guide: guide, different: max(8, width * height / 1000)) { x, y in
                [Float(luma[y * width + x]) / depth, Float(u[(y / 2) * cw + x / 2]) / depth, Float(v[(y / 2) * cw + x / 2]) / depth]
            }
        } } }
    }

    @Test func softWeightsSkipOnlyWhatRoundsToOneValue() {
        // Probabilities near 0, near 1, on rounding boundaries, and ramps, on a 9×5 map.
        let values: [Float] = [0, 1e-4, 0.5 / 256, 1.5 / 256, 0.3, 0.3, 0.9999, 1, 255.5 / 256]
        let foreground = (0..<45).map { values[($0 * 7) % values.count] }
        let map = segmentation(classMap: foreground.map { $0 >= 0.5 ? 1 : 0 }, width: 9, height: 5, foreground: foreground,
                               colors: [ColorMap.colors(count: 2)[1]])
        let sampler = BilinearSampler(frameWidth: 97, frameHeight: 53, orientation: .upright, mapWidth: 9, mapHeight: 5)
        var weights = ForegroundWeights(width: 97, height: 53)
        weights.fill(from: map, sampler: sampler, soft: true, tinted: [false, true])
        let first = sampler.columnLineIndices.first
        for y in 0..<53 {
            let tap = sampler.rows[y]
            let line = (0..<9).map { foreground[tap.first + $0] + (foreground[tap.second + $0] - foreground[tap.first + $0]) * tap.weight }
            for x in 0..<97 {
                let (a, b) = (line[Int(first[x])], line[min(Int(first[x]) + 1, 8)])
                let p = a == b ? a : a + (b - a) * sampler.columns[x].weight
                #expect(weights.values[y * 97 + x] == UInt16(min(256, max(0, p * 256 + 0.5))), "(\(x), \(y))")
            }
        }
    }

    /// The coarse weight read off the probability map (the render stage's way: no weight is
    /// interpolated at every sample first) refines to the same weights as the one averaged from
    /// the weights interpolated at every sample, in every orientation: the averages differ only
    /// by those weights' rounding to 1/256.
    @Test(arguments: [Orientation.upright, .clockwise90, .rotated180, .clockwise270])
    func theCoarseWeightFromTheMapEqualsTheAveragedSamples(orientation: Orientation) {
        let (width, height, mapWidth, mapHeight) = (203, 117, 23, 13)
        let upright = orientation.uprightSize(width: width, height: height)
        // A person-like disc on the upright map with a soft rim, off centre so turns differ.
        let foreground = (0..<(mapWidth * mapHeight)).map { cell -> Float in
            let dx = Float(cell % mapWidth) - 9.5, dy = (Float(cell / mapWidth) - 6) * 1.7
            return max(0, min(1, (6 - (dx * dx + dy * dy).squareRoot()) * 0.6 + 0.5))
        }
        let map = segmentation(classMap: foreground.map { $0 >= 0.5 ? 1 : 0 }, width: mapWidth, height: mapHeight, foreground: foreground,
                               colors: [ColorMap.colors(count: 2)[1]])
        let sampler = BilinearSampler(frameWidth: width, frameHeight: height, orientation: orientation, mapWidth: mapWidth, mapHeight: mapHeight)
        // The stored picture: the upright disc's edge a few samples off the map's, with texture.
        let luma = (0..<(width * height)).map { index -> UInt8 in
            let (x, y) = (index % width, index / width)
            let (ux, uy): (Int, Int)
            switch orientation {
            case .upright: (ux, uy) = (x, y)
            case .rotated180: (ux, uy) = (width - 1 - x, height - 1 - y)
            case .clockwise90: (ux, uy) = (height - 1 - y, x)
            case .clockwise270: (ux, uy) = (y, width - 1 - x)
            }
            let dx = Float(ux) - Float(upright.width) * 10 / 23, dy = (Float(uy) - Float(upright.height) * 6.5 / 13) * 1.7
            return (dx * dx + dy * dy).squareRoot() < Float(upright.width) * 6.3 / 23 ? 200 : UInt8(40 + (x * 7 + y * 3) % 30)
        }
        var fromMap = ForegroundWeights(width: width, height: height), averaged = fromMap
        luma.withUnsafeBytes { bytes in
            let guide = EdgeRefiner.Guide(base: bytes.baseAddress!, origin: 0, stepX: 1, stepY: width, bitDepth: 8)
            fromMap.refine(map, sampler: sampler, tinted: [false, true], with: EdgeRefiner(factor: 4, radius: 3, temporal: 0), guide: guide)
            averaged.fill(from: map, sampler: sampler, soft: true, tinted: [false, true])
            var values = averaged.values
            values.withUnsafeMutableBufferPointer { EdgeRefiner(factor: 4, radius: 3, temporal: 0).refine($0, width: width, height: height, guide: guide) }
            let differences = zip(fromMap.values, values).map { abs(Int($0) - Int($1)) }
            #expect(differences.max() ?? 0 <= 2, "\(orientation)")
            #expect(differences.filter { $0 > 0 }.count * 100 <= differences.count, "\(orientation): \(differences.filter { $0 > 0 }.count) differ")
            #expect(fromMap.values.contains(0) && fromMap.values.contains(256) && fromMap.values.contains { $0 > 0 && $0 < 256 })
        }
    }
}
