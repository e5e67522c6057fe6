import CFFmpeg
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia

@Suite struct OrientationTests {
    // MARK: From FFmpeg's display-matrix angle (degrees, anti-clockwise)

    @Test(arguments: [
        (-90.0, Orientation.clockwise90), (90.0, .clockwise270), (180.0, .rotated180), (-180.0, .rotated180),
        (0.0, .upright), (-0.0, .upright), (Double.nan, .upright), (Double.infinity, .upright),
        (270.0, .clockwise90), (-270.0, .clockwise270), (360.0, .upright), (-89.6, .clockwise90), (89.4, .clockwise270),
        (10.0, .upright), (-100.0, .clockwise90),
    ])
    func fromDisplayRotation(angle: Double, expected: Orientation) {
        #expect(Orientation(displayRotation: angle) == expected)
    }

    /// A phone held upright records landscape pixels with the QuickTime matrix [0 1; −1 0]
    /// (`rotate=90`); FFmpeg reads that as −90°, and the picture must be turned 90° clockwise.
    @Test func phonePortraitMatrixThroughFFmpeg() {
        let one: Int32 = 1 << 16, w: Int32 = 1 << 30
        let portrait: [Int32] = [0, one, 0, -one, 0, 0, 0, 0, w]
        let upsideDown: [Int32] = [-one, 0, 0, 0, -one, 0, 0, 0, w]
        let otherWay: [Int32] = [0, -one, 0, one, 0, 0, 0, 0, w]
        let identity: [Int32] = [one, 0, 0, 0, one, 0, 0, 0, w]
        #expect(portrait.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress!) } == -90)
        let cases: [([Int32], Orientation)] = [
            (portrait, .clockwise90), (upsideDown, .rotated180), (otherWay, .clockwise270), (identity, .upright),
        ]
        for (matrix, expected) in cases {
            let angle = matrix.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress!) }
            #expect(Orientation(displayRotation: angle) == expected, "angle \(angle)")
        }
    }

    /// The shim reads the stream's display matrix side data (what MediaSource uses).
    @Test func streamRotationFromSideData() throws {
        let context = avformat_alloc_context()
        defer { avformat_free_context(context) }
        let stream = try #require(avformat_new_stream(context, nil))
        #expect(vs_stream_rotation(stream) == 0)
        let one: Int32 = 1 << 16
        let portrait: [Int32] = [0, one, 0, -one, 0, 0, 0, 0, 1 << 30]
        let status = portrait.withUnsafeBytes {
            vs_stream_set_display_matrix(stream, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), 36)
        }
        #expect(status == 0)
        #expect(Orientation(displayRotation: vs_stream_rotation(stream)) == .clockwise90)
    }

    // MARK: Sizes

    @Test func sizesSwapOnlyForQuarterTurns() {
        #expect(Orientation.upright.uprightSize(width: 1920, height: 1080) == (1920, 1080))
        #expect(Orientation.rotated180.uprightSize(width: 1920, height: 1080) == (1920, 1080))
        #expect(Orientation.clockwise90.uprightSize(width: 1920, height: 1080) == (1080, 1920))
        #expect(Orientation.clockwise270.uprightSize(width: 1920, height: 1080) == (1080, 1920))
        #expect(Orientation.clockwise90.storedSize(uprightWidth: 400, height: 711) == (711, 400))
        #expect(Orientation.rotated180.storedSize(uprightWidth: 400, height: 711) == (400, 711))
        #expect(Orientation.clockwise90.swapsAxes && Orientation.clockwise270.swapsAxes)
        #expect(!Orientation.upright.swapsAxes && !Orientation.rotated180.swapsAxes)
    }

    // MARK: Walking a stored RGB buffer upright

    /// A stored 3×2 RGB24 picture, 12 bytes a row (3 bytes of padding set to 255). Pixel (x, y)
    /// is R = 10y + x, G = 50 + 10y + x, B = 100 + 10y + x.
    static let storedWidth = 3, storedHeight = 2, stride = 12
    static let buffer: [UInt8] = [
        0, 50, 100, 1, 51, 101, 2, 52, 102, 255, 255, 255,
        10, 60, 110, 11, 61, 111, 12, 62, 112, 255, 255, 255,
    ]

    static func pixel(_ x: Int, _ y: Int) -> [UInt8] {
        let v = UInt8(10 * y + x)
        return [v, 50 + v, 100 + v]
    }

    /// Reads the upright picture through `uprightWalk`: rows of RGB triples.
    static func uprightPicture(_ orientation: Orientation) -> [[[UInt8]]] {
        let size = orientation.uprightSize(width: storedWidth, height: storedHeight)
        let walk = orientation.uprightWalk(width: storedWidth, height: storedHeight, stride: stride, bytesPerPixel: 3)
        return (0..<size.height).map { uy in
            (0..<size.width).map { ux in
                let offset = walk.origin + ux * walk.stepX + uy * walk.stepY
                return Array(buffer[offset..<offset + 3])
            }
        }
    }

    @Test func uprightWalkUpright() {
        #expect(Self.uprightPicture(.upright) == [
            [Self.pixel(0, 0), Self.pixel(1, 0), Self.pixel(2, 0)],
            [Self.pixel(0, 1), Self.pixel(1, 1), Self.pixel(2, 1)],
        ])
        #expect(Orientation.upright.uprightWalk(width: 3, height: 2, stride: 12, bytesPerPixel: 3) == (0, 3, 12))
    }

    @Test func uprightWalkRotated180() {
        #expect(Self.uprightPicture(.rotated180) == [
            [Self.pixel(2, 1), Self.pixel(1, 1), Self.pixel(0, 1)],
            [Self.pixel(2, 0), Self.pixel(1, 0), Self.pixel(0, 0)],
        ])
    }

    @Test func uprightWalkClockwise90() {
        // Turned 90° clockwise, the stored bottom-left pixel comes to the top-left and the stored
        // left column, read bottom to top, becomes the top row.
        #expect(Self.uprightPicture(.clockwise90) == [
            [Self.pixel(0, 1), Self.pixel(0, 0)],
            [Self.pixel(1, 1), Self.pixel(1, 0)],
            [Self.pixel(2, 1), Self.pixel(2, 0)],
        ])
        #expect(Orientation.clockwise90.uprightWalk(width: 3, height: 2, stride: 12, bytesPerPixel: 3) == (12, -12, 3))
    }

    @Test func uprightWalkClockwise270() {
        // Turned 90° anti-clockwise, the stored right column, top to bottom, becomes the top row.
        #expect(Self.uprightPicture(.clockwise270) == [
            [Self.pixel(2, 0), Self.pixel(2, 1)],
            [Self.pixel(1, 0), Self.pixel(1, 1)],
            [Self.pixel(0, 0), Self.pixel(0, 1)],
        ])
    }
}
