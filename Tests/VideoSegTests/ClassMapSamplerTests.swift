import Testing

@testable import VideoSeg

@Suite struct ClassMapSamplerTests {
    // MARK: Centre-aligned scaling table: d → floor((2d+1)·in / (2·out))

    @Test func centerTableUpscalesByRepeating() {
        #expect(ClassMapSampler.centerTable(input: 2, output: 4) == [0, 0, 1, 1])
        #expect(ClassMapSampler.centerTable(input: 1, output: 3) == [0, 0, 0])
    }

    @Test func centerTableDownscalesFromPixelCentres() {
        // d=0: 4/4 = 1; d=1: 12/4 = 3.
        #expect(ClassMapSampler.centerTable(input: 4, output: 2) == [1, 3])
        // 7 → 3: 7/6 = 1.17, 21/6 = 3.5, 35/6 = 5.83.
        #expect(ClassMapSampler.centerTable(input: 7, output: 3) == [1, 3, 5])
    }

    @Test func centerTableNonIntegerRatio() {
        // 3 → 7: (2d+1)·3/14 for d = 0...6 is 0.21, 0.64, 1.07, 1.5, 1.93, 2.36, 2.79.
        #expect(ClassMapSampler.centerTable(input: 3, output: 7) == [0, 0, 1, 1, 1, 2, 2])
        // 400 → 711 (the short-side model size of 1280×720): first and last entries.
        let table = ClassMapSampler.centerTable(input: 400, output: 711)
        #expect(table.count == 711)
        #expect(table.first == 0)
        #expect(table.last == 399)
    }

    @Test(arguments: [1, 2, 5, 64])
    func centerTableIsTheIdentityAtTheSameSize(size: Int) {
        #expect(ClassMapSampler.centerTable(input: size, output: size) == Array(0..<size))
    }

    // MARK: Orientation

    /// An upright map 2 wide × 3 high:
    ///     0 1
    ///     2 3
    ///     4 5
    static let tall: [UInt8] = [0, 1, 2, 3, 4, 5]

    @Test func uprightReadsTheMapAsIs() {
        let sampler = ClassMapSampler(frameWidth: 2, frameHeight: 3, orientation: .upright, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 2, height: 3) == [[0, 1], [2, 3], [4, 5]])
    }

    @Test func rotated180ReadsTheMapBackwards() {
        let sampler = ClassMapSampler(frameWidth: 2, frameHeight: 3, orientation: .rotated180, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 2, height: 3) == [[5, 4], [3, 2], [1, 0]])
    }

    @Test func clockwise90() {
        // Stored 3×2; shown after a quarter turn clockwise. The stored picture is the upright one
        // turned back anti-clockwise, so its top row is the upright right column, top to bottom.
        let sampler = ClassMapSampler(frameWidth: 3, frameHeight: 2, orientation: .clockwise90, mapWidth: 2, mapHeight: 3)
        #expect(sampledClasses(sampler, classMap: Self.tall, width: 3, height: 2) == [[1, 3, 5], [0, 2, 4]])
    }

    @Test func clockwise270() {
        // The stored picture is the upright one turned clockwise: its top row is the upright left
        // column read bottom to top.
        let sampler = ClassMapSampler(frameWidth: 3, frameHeight: 2, orientation: .clockwise270, mapWidth: 2, mapHeight: 3)
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
        let sampler = ClassMapSampler(frameWidth: storedWidth, frameHeight: storedHeight, orientation: orientation,
                                      mapWidth: mapWidth, mapHeight: mapHeight)
        #expect(sampler.columnOffset.count == storedWidth)
        #expect(sampler.rowOffset.count == storedHeight)
        for uy in 0..<mapHeight {
            for ux in 0..<mapWidth {
                let (x, y): (Int, Int)
                switch orientation {
                case .upright: (x, y) = (ux, uy)
                case .rotated180: (x, y) = (storedWidth - 1 - ux, storedHeight - 1 - uy)
                case .clockwise90: (x, y) = (uy, storedHeight - 1 - ux)
                case .clockwise270: (x, y) = (storedWidth - 1 - uy, ux)
                }
                #expect(map[sampler.rowOffset[y] + sampler.columnOffset[x]] == UInt8(uy * mapWidth + ux),
                        "upright (\(ux), \(uy)) from stored (\(x), \(y))")
            }
        }
    }

    // MARK: Scaling and turning together

    @Test func upscalingRepeatsEachClass() {
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]  // 3×2
        let sampler = ClassMapSampler(frameWidth: 6, frameHeight: 4, orientation: .upright, mapWidth: 3, mapHeight: 2)
        #expect(sampledClasses(sampler, classMap: map, width: 6, height: 4) == [
            [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [3, 3, 4, 4, 5, 5],
        ])
    }

    @Test func upscalingATurnedFrame() {
        // 3×2 map, stored frame 4×6 turned 90° clockwise (upright 6×4): stored (x, y) is upright
        // (5−y, x), which reads map column (5−y)/2 and row x/2.
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]
        let sampler = ClassMapSampler(frameWidth: 4, frameHeight: 6, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        #expect(sampledClasses(sampler, classMap: map, width: 4, height: 6) == [
            [2, 2, 5, 5], [2, 2, 5, 5], [1, 1, 4, 4], [1, 1, 4, 4], [0, 0, 3, 3], [0, 0, 3, 3],
        ])
    }

    @Test func turningHappensBeforeTheTableNotInTheMap() {
        // A 4×1 map shown 2 wide: the upright pixels take map columns 1 and 3 (pixel centres).
        // Turned, the same upright pixels must be read — not the mirror columns 2 and 0.
        let map: [UInt8] = [10, 11, 12, 13]
        let upright = ClassMapSampler(frameWidth: 2, frameHeight: 1, orientation: .upright, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(upright, classMap: map, width: 2, height: 1) == [[11, 13]])
        let turned = ClassMapSampler(frameWidth: 2, frameHeight: 1, orientation: .rotated180, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(turned, classMap: map, width: 2, height: 1) == [[13, 11]])
        let clockwise = ClassMapSampler(frameWidth: 1, frameHeight: 2, orientation: .clockwise90, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(clockwise, classMap: map, width: 1, height: 2) == [[13], [11]])
        let anticlockwise = ClassMapSampler(frameWidth: 1, frameHeight: 2, orientation: .clockwise270, mapWidth: 4, mapHeight: 1)
        #expect(sampledClasses(anticlockwise, classMap: map, width: 1, height: 2) == [[11], [13]])
    }

    // MARK: Subsampled (chroma) planes take the top-left luma pixel

    @Test func yuv420TakesTheTopLeftLumaPixel() {
        let map = (0..<16).map { UInt8($0) }  // 4×4
        let luma = ClassMapSampler(frameWidth: 4, frameHeight: 4, orientation: .upright, mapWidth: 4, mapHeight: 4)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 2, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 2) == [[0, 2], [8, 10]])
    }

    @Test func yuv420OddSize() {
        // 5×3 luma, chroma 3×2 (rounded up): chroma (2, 1) is luma (4, 2), the last pixel.
        let map = (0..<15).map { UInt8($0) }
        let luma = ClassMapSampler(frameWidth: 5, frameHeight: 3, orientation: .upright, mapWidth: 5, mapHeight: 3)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 3, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 3, height: 2) == [[0, 2, 4], [10, 12, 14]])
    }

    @Test func yuv422KeepsEveryRow() {
        let map = (0..<8).map { UInt8($0) }  // 4×2
        let luma = ClassMapSampler(frameWidth: 4, frameHeight: 2, orientation: .upright, mapWidth: 4, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 0, planeWidth: 2, planeHeight: 2)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 2) == [[0, 2], [4, 6]])
    }

    @Test func subsampledTurnedFrameTakesTheStoredTopLeftPixel() {
        // The 4×6 clockwise frame of `upscalingATurnedFrame`; chroma 2×3 reads stored luma
        // (0,0) (2,0) / (0,2) (2,2) / (0,4) (2,4).
        let map: [UInt8] = [0, 1, 2, 3, 4, 5]
        let luma = ClassMapSampler(frameWidth: 4, frameHeight: 6, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 2, planeHeight: 3)
        #expect(sampledClasses(chroma, classMap: map, width: 2, height: 3) == [[2, 5], [1, 4], [0, 3]])
    }
}
