import Testing

@testable import VideoSeg

@Suite struct ClassMapSamplerTests {
    @Test func centreTableFollowsTheFormula() {
        #expect(ClassMapSampler.centerTable(input: 2, output: 4) == [0, 0, 1, 1])
        #expect(ClassMapSampler.centerTable(input: 4, output: 2) == [1, 3])
        // floor((2d+1)·3/14) for d = 0...6
        #expect(ClassMapSampler.centerTable(input: 3, output: 7) == [0, 0, 1, 1, 1, 2, 2])
        #expect(ClassMapSampler.centerTable(input: 5, output: 5) == [0, 1, 2, 3, 4])
        #expect(ClassMapSampler.centerTable(input: 400, output: 1280).last == 399)
    }

    /// An upright 3×2 class map: row 0 is 0 1 2, row 1 is 3 4 5.
    static let map: [UInt8] = [0, 1, 2, 3, 4, 5]

    func read(_ sampler: ClassMapSampler, width: Int, height: Int) -> [[UInt8]] {
        (0..<height).map { y in (0..<width).map { x in Self.map[sampler.rowOffset[y] + sampler.columnOffset[x]] } }
    }

    @Test func uprightAndRotated180() {
        let upright = ClassMapSampler(frameWidth: 3, frameHeight: 2, orientation: .upright, mapWidth: 3, mapHeight: 2)
        #expect(read(upright, width: 3, height: 2) == [[0, 1, 2], [3, 4, 5]])
        let turned = ClassMapSampler(frameWidth: 3, frameHeight: 2, orientation: .rotated180, mapWidth: 3, mapHeight: 2)
        #expect(read(turned, width: 3, height: 2) == [[5, 4, 3], [2, 1, 0]])
    }

    @Test func quarterTurns() {
        // Stored 2 wide × 3 high; turned 90° clockwise it shows the 3×2 upright map. The stored
        // picture is the upright one turned back anti-clockwise: its top row is the upright
        // right column read top to bottom... worked out: stored (x, y) = upright (2−y, x).
        let clockwise = ClassMapSampler(frameWidth: 2, frameHeight: 3, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        #expect(read(clockwise, width: 2, height: 3) == [[2, 5], [1, 4], [0, 3]])
        // Turned 270° clockwise: stored (x, y) = upright (y, 1−x).
        let anticlockwise = ClassMapSampler(frameWidth: 2, frameHeight: 3, orientation: .clockwise270, mapWidth: 3, mapHeight: 2)
        #expect(read(anticlockwise, width: 2, height: 3) == [[3, 0], [4, 1], [5, 2]])
    }

    @Test func scalingUpRepeatsPixels() {
        let sampler = ClassMapSampler(frameWidth: 6, frameHeight: 4, orientation: .upright, mapWidth: 3, mapHeight: 2)
        #expect(read(sampler, width: 6, height: 4) == [
            [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [3, 3, 4, 4, 5, 5],
        ])
        let chroma = sampler.subsampled(log2Width: 1, log2Height: 1, planeWidth: 3, planeHeight: 2)
        #expect(read(chroma, width: 3, height: 2) == [[0, 1, 2], [3, 4, 5]])
    }
}

@Suite struct OrientationTests {
    @Test(arguments: [(-90.0, Orientation.clockwise90), (90.0, .clockwise270), (180.0, .rotated180), (-180.0, .rotated180),
                      (0.0, .upright), (Double.nan, .upright), (-89.6, .clockwise90), (270.0, .clockwise90)])
    func fromDisplayMatrixAngle(angle: Double, expected: Orientation) {
        #expect(Orientation(displayRotation: angle) == expected)
    }

    @Test func uprightWalkReadsTheTurnedPicture() {
        // A stored 3×2 picture, one byte per pixel, stride 4: values are 10·y + x.
        let stored: [Int] = [0, 1, 2, -1, 10, 11, 12, -1]
        func upright(_ orientation: Orientation) -> [[Int]] {
            let size = orientation.uprightSize(width: 3, height: 2)
            let walk = orientation.uprightWalk(width: 3, height: 2, stride: 4, bytesPerPixel: 1)
            return (0..<size.height).map { y in (0..<size.width).map { x in stored[walk.origin + x * walk.stepX + y * walk.stepY] } }
        }
        #expect(upright(.upright) == [[0, 1, 2], [10, 11, 12]])
        #expect(upright(.rotated180) == [[12, 11, 10], [2, 1, 0]])
        // Turned 90° clockwise, the stored bottom-left pixel comes to the top-left.
        #expect(upright(.clockwise90) == [[10, 0], [11, 1], [12, 2]])
        #expect(upright(.clockwise270) == [[2, 12], [1, 11], [0, 10]])
    }
}
