import Testing

@testable import VideoSegCore
@testable import VideoSegModel

/// Where each output sample reads the score map, against PyTorch's bilinear interpolation
/// (align_corners=False): source = (d + 0.5)·in/out − 0.5, clamped at 0, between cells
/// floor(source) and the next (the last cell repeats), weighted by the fraction.
@Suite struct BilinearSamplerTests {
    typealias Tap = BilinearSampler.Tap

    // MARK: Taps

    @Test func upscalingByTwoInterpolatesQuarterWays() {
        // d = 0: −0.25 → 0; d = 1: 0.25; d = 2: 0.75; d = 3: 1.25 (the last cell twice).
        #expect(BilinearSampler.taps(input: 2, output: 4, indices: [0, 1, 2, 3], stride: 1) == [
            Tap(first: 0, second: 1, weight: 0), Tap(first: 0, second: 1, weight: 0.25),
            Tap(first: 0, second: 1, weight: 0.75), Tap(first: 1, second: 1, weight: 0.25),
        ])
    }

    @Test func downscalingByTwoFallsBetweenCells() {
        // d = 0: 2·0.5 − 0.5 = 0.5; d = 1: 2·1.5 − 0.5 = 2.5. Offsets along y are times the width.
        #expect(BilinearSampler.taps(input: 4, output: 2, indices: [0, 1], stride: 10) == [
            Tap(first: 0, second: 10, weight: 0.5), Tap(first: 20, second: 30, weight: 0.5),
        ])
    }

    @Test(arguments: [1, 2, 5, 64])
    func theSameSizeReadsEachCellAlone(size: Int) {
        let taps = BilinearSampler.taps(input: size, output: size, indices: Array(0..<size), stride: 1)
        #expect(taps.map(\.first) == Array(0..<size))
        #expect(taps.allSatisfy { $0.weight == 0 })
    }

    @Test func interpolationOfALinearRampIsExact() {
        // value = x + 10·y on a 3×2 map, upscaled to 7×5: inside the clamped border the
        // interpolated value is the source position itself.
        let map = (0..<6).map { Float($0 % 3) + 10 * Float($0 / 3) }
        let sampler = BilinearSampler(frameWidth: 7, frameHeight: 5, orientation: .upright, mapWidth: 3, mapHeight: 2)
        map.withUnsafeBufferPointer { plane in
            for y in 0..<5 {
                for x in 0..<7 {
                    let sx = min(2, max(0, (Double(x) + 0.5) * 3 / 7 - 0.5)), sy = min(1, max(0, (Double(y) + 0.5) * 2 / 5 - 0.5))
                    let value = sampler.interpolate(plane.baseAddress!, row: sampler.rows[y], column: sampler.columns[x])
                    #expect(abs(Double(value) - (sx + 10 * sy)) < 1e-5, "(\(x), \(y))")
                }
            }
        }
    }

    @Test(arguments: [Orientation.clockwise90, .rotated180, .clockwise270])
    func aTurnedFrameReadsWhatTheUprightPixelReads(orientation: Orientation) {
        // A 5×3 map shown at 11×7 upright; the stored frame is turned.
        let map = (0..<15).map { Float(($0 * 7919) % 31) }
        let upright = BilinearSampler(frameWidth: 11, frameHeight: 7, orientation: .upright, mapWidth: 5, mapHeight: 3)
        let stored = orientation.storedSize(uprightWidth: 11, height: 7)
        let turned = BilinearSampler(frameWidth: stored.width, frameHeight: stored.height, orientation: orientation, mapWidth: 5, mapHeight: 3)
        map.withUnsafeBufferPointer { plane in
            for uy in 0..<7 {
                for ux in 0..<11 {
                    let (x, y): (Int, Int)
                    switch orientation {
                    case .upright: (x, y) = (ux, uy)
                    case .rotated180: (x, y) = (10 - ux, 6 - uy)
                    case .clockwise90: (x, y) = (uy, stored.height - 1 - ux)
                    case .clockwise270: (x, y) = (stored.width - 1 - uy, ux)
                    }
                    let expected = upright.interpolate(plane.baseAddress!, row: upright.rows[uy], column: upright.columns[ux])
                    let value = turned.interpolate(plane.baseAddress!, row: turned.rows[y], column: turned.columns[x])
                    #expect(value == expected, "upright (\(ux), \(uy)) from stored (\(x), \(y))")
                }
            }
        }
    }

    // MARK: Orientation

    /// An upright map 2 wide × 3 high:
    ///     0 1
    ///     2 3
    ///     4 5
    static let tall: [UInt8] = [0, 1, 2, 3, 4, 5]

    @Test func uprightReadsTheMapAsIs() {
        let sampler = BilinearSampler(frameWidth: 2, frameHeight: 3, orientation: .upright, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 2, height: 3) == [[0, 1], [2, 3], [4, 5]])
    }

    @Test func rotated180ReadsTheMapBackwards() {
        let sampler = BilinearSampler(frameWidth: 2, frameHeight: 3, orientation: .rotated180, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 2, height: 3) == [[5, 4], [3, 2], [1, 0]])
    }

    @Test func clockwise90() {
        // Stored 3×2; shown after a quarter turn clockwise. The stored picture is the upright one
        // turned back anti-clockwise, so its top row is the upright right column, top to bottom.
        let sampler = BilinearSampler(frameWidth: 3, frameHeight: 2, orientation: .clockwise90, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 3, height: 2) == [[1, 3, 5], [0, 2, 4]])
    }

    @Test func clockwise270() {
        // The stored picture is the upright one turned clockwise: its top row is the upright left
        // column read bottom to top.
        let sampler = BilinearSampler(frameWidth: 3, frameHeight: 2, orientation: .clockwise270, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 3, height: 2) == [[4, 2, 0], [5, 3, 1]])
    }

    /// For every upright pixel (ux, uy) of a 5×3 map, the stored pixel that shows there, by the
    /// geometry of each turn, reads class map[uy·5 + ux].
    @Test(arguments: [Orientation.upright, .clockwise90, .rotated180, .clockwise270])
    func everyUprightPixelIsReadFromItsStoredPosition(orientation: Orientation) {
        let mapWidth = 5, mapHeight = 3
        let map = (0..<(mapWidth * mapHeight)).map { UInt8($0) }
        let quarter = orientation == .clockwise90 || orientation == .clockwise270
        let storedWidth = quarter ? mapHeight : mapWidth, storedHeight = quarter ? mapWidth : mapHeight
        let sampler = BilinearSampler(frameWidth: storedWidth, frameHeight: storedHeight, orientation: orientation,
                                      mapWidth: mapWidth, mapHeight: mapHeight)
        #expect(sampler.columns.count == storedWidth)
        #expect(sampler.rows.count == storedHeight)
        for uy in 0..<mapHeight {
            for ux in 0..<mapWidth {
                let (x, y): (Int, Int)
                switch orientation {
                case .upright: (x, y) = (ux, uy)
                case .rotated180: (x, y) = (storedWidth - 1 - ux, storedHeight - 1 - uy)
                case .clockwise90: (x, y) = (uy, storedHeight - 1 - ux)
                case .clockwise270: (x, y) = (storedWidth - 1 - uy, ux)
                }
                #expect(map[sampler.rows[y].first + sampler.columns[x].first] == UInt8(uy * mapWidth + ux),
                        "upright (\(ux), \(uy)) from stored (\(x), \(y))")
            }
        }
    }

    // MARK: Scaling and turning together

    @Test func upscalingOneHotScoresRepeatsEachClass() {
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]  // 3×2
        let sampler = BilinearSampler(frameWidth: 6, frameHeight: 4, orientation: .upright, mapWidth: 3, mapHeight: 2)
        #expect(sampledClasses(sampler, classMap: map, width: 6, height: 4) == [
            [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [3, 3, 4, 4, 5, 5],
        ])
    }

    @Test func upscalingATurnedFrame() {
        // 3×2 map, stored frame 4×6 turned 90° clockwise (upright 6×4): stored (x, y) is upright
        // (5−y, x), which reads map column (5−y)/2 and row x/2.
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]
        let sampler = BilinearSampler(frameWidth: 4, frameHeight: 6, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        #expect(sampledClasses(sampler, classMap: map, width: 4, height: 6) == [
            [2, 2, 5, 5], [2, 2, 5, 5], [1, 1, 4, 4], [1, 1, 4, 4], [0, 0, 3, 3], [0, 0, 3, 3],
        ])
    }

    @Test func turningHappensBeforeTheTableNotInTheMap() {
        // A 4×1 map shown 2 wide: upright pixels fall half-way between cells 0 and 1, and 2 and 3;
        // one-hot scores tie there and the first class wins, as in torch.argmax: 10 and 12.
        // Turned, the same upright pixels must be read — not the mirror cells.
        let map: [UInt8] = [10, 11, 12, 13]
        let upright = BilinearSampler(frameWidth: 2, frameHeight: 1, orientation: .upright, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(upright, classMap: map, width: 2, height: 1) == [[10, 12]])
        let turned = BilinearSampler(frameWidth: 2, frameHeight: 1, orientation: .rotated180, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(turned, classMap: map, width: 2, height: 1) == [[12, 10]])
        let clockwise = BilinearSampler(frameWidth: 1, frameHeight: 2, orientation: .clockwise90, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(clockwise, classMap: map, width: 1, height: 2) == [[12], [10]])
        let anticlockwise = BilinearSampler(frameWidth: 1, frameHeight: 2, orientation: .clockwise270, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(anticlockwise, classMap: map, width: 1, height: 2) == [[10], [12]])
    }

    // MARK: Subsampled (chroma) planes take the top-left luma pixel

    @Test func yuv420TakesTheTopLeftLumaPixel() {
        let map = (0..<16).map { UInt8($0) }  // 4×4
        let luma = BilinearSampler(frameWidth: 4, frameHeight: 4, orientation: .upright, mapWidth: 4, mapHeight: 4)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 2, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 2) == [[0, 2], [8, 10]])
    }

    @Test func yuv420OddSize() {
        // 5×3 luma, chroma 3×2 (rounded up): chroma (2, 1) is luma (4, 2), the last pixel.
        let map = (0..<15).map { UInt8($0) }
        let luma = BilinearSampler(frameWidth: 5, frameHeight: 3, orientation: .upright, mapWidth: 5, mapHeight: 3)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 3, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 3, height: 2) == [[0, 2, 4], [10, 12, 14]])
    }

    @Test func yuv422KeepsEveryRow() {
        let map = (0..<8).map { UInt8($0) }  // 4×2
        let luma = BilinearSampler(frameWidth: 4, frameHeight: 2, orientation: .upright, mapWidth: 4, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 0, planeWidth: 2, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 2) == [[0, 2], [4, 6]])
    }

    @Test func subsampledTurnedFrameTakesTheStoredTopLeftPixel() {
        // The 4×6 clockwise frame of `upscalingATurnedFrame`; chroma 2×3 reads stored luma
        // (0,0) (2,0) / (0,2) (2,2) / (0,4) (2,4).
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]
        let luma = BilinearSampler(frameWidth: 4, frameHeight: 6, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 2, planeHeight: 3)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 3) == [[2, 5], [1, 4], [0, 3]])
    }
}
