import Testing

@testable import VideoSeg

@Suite struct OverlayRendererTests {
    /// A 4×1 plane and class map: background, person (15), dog (12), person.
    static let classMap: [UInt8] = [0, 15, 12, 15]
    static let sampler = ClassMapSampler(frameWidth: 4, frameHeight: 1, orientation: .upright, mapWidth: 4, mapHeight: 1)

    func render(_ style: OverlayStyle, plane: Int, pixels: [UInt8]) -> [UInt8] {
        let renderer = OverlayRenderer(style: style, colors: ColorMap.colors(count: 21), matrix: .bt601)
        var result = pixels
        result.withUnsafeMutableBufferPointer { buffer in
            Self.classMap.withUnsafeBufferPointer { map in
                renderer.render(plane: plane, pixels: buffer.baseAddress!, stride: 4, width: 4, height: 1,
                                classMap: map.baseAddress!, sampler: Self.sampler)
            }
        }
        return result
    }

    // Person (192,128,128) in BT.601 limited range, by hand:
    // Y = 16 + 219·(0.299·192 + 0.587·128 + 0.114·128)/255 = 16 + 219·0.5766 = 142.3 → 142
    // U = 128 + 224·(128/255 − 0.5766)/1.772 = 128 − 9.44 = 118.6 → 119
    // V = 128 + 224·(192/255 − 0.5766)/1.402 = 128 + 28.17 = 156.2 → 156
    // Dog (64,0,128): Y = 16 + 219·(0.299·64 + 0.114·128)/255 = 16 + 29.0 = 45.0 → 45
    static let person = (y: 142, u: 119, v: 156)
    static let dog = (y: 45, u: 0, v: 0)

    /// Half and half, with rounding: (v·128 + c·128 + 128) >> 8.
    func mix(_ value: Int, _ color: Int) -> UInt8 {
        let sum: Int = value * 128 + color * 128 + 128
        return UInt8(sum >> 8)
    }

    @Test func blendMixesHalfAndHalfAndLeavesBackground() {
        let luma = render(OverlayStyle(mode: .blend, alpha: 0.5), plane: 0, pixels: [100, 100, 200, 50])
        let expected: [UInt8] = [100, mix(100, 142), mix(200, 45), mix(50, 142)]
        #expect(luma == expected)
        #expect(expected == [100, 121, 123, 96])
        let v = render(OverlayStyle(mode: .blend, alpha: 0.5), plane: 2, pixels: [128, 128, 128, 128])
        #expect(v[0] == 128)
        #expect(v[1] == mix(128, 156))
        #expect(v[3] == v[1])
    }

    @Test func classesRestrictTheTint() {
        var style = OverlayStyle(mode: .blend, alpha: 0.5)
        style.classes = [12]
        let luma = render(style, plane: 0, pixels: [100, 100, 200, 50])
        let expected: [UInt8] = [100, 100, mix(200, 45), 50]
        #expect(luma == expected)
    }

    @Test func maskModeIsColourOnBlack() {
        #expect(render(OverlayStyle(mode: .mask), plane: 0, pixels: [100, 100, 200, 50]) == [16, 142, 45, 142])
        #expect(render(OverlayStyle(mode: .mask), plane: 1, pixels: [1, 2, 3, 4])[0] == 128)
        #expect(render(OverlayStyle(mode: .mask), plane: 1, pixels: [1, 2, 3, 4])[1] == 119)
    }

    @Test func alphaZeroKeepsEveryPixelAndOneGivesTheColour() {
        #expect(render(OverlayStyle(mode: .blend, alpha: 0), plane: 0, pixels: [1, 2, 3, 4]) == [1, 2, 3, 4])
        #expect(render(OverlayStyle(mode: .blend, alpha: 1), plane: 0, pixels: [1, 2, 3, 4]) == [1, 142, 45, 142])
    }

    @Test func backgroundIsNeverTintedEvenWhenAsked() {
        var style = OverlayStyle(mode: .blend, alpha: 1)
        style.classes = [0, 15]
        #expect(render(style, plane: 0, pixels: [9, 9, 9, 9]) == [9, 142, 9, 142])
    }
}
