import Testing

@testable import VideoSegCore
@testable import VideoSegMedia
@testable import VideoSegModel
@testable import VideoSegRender

/// Every expected value is worked out by hand: out = (in·(256−w) + c·w + 128) >> 8 with
/// w = round(alpha·256), and the class colours in BT.601 limited range computed from
/// Y = 16 + 219·Y', Cb = 128 + 224·(B'−Y')/1.772, Cr = 128 + 224·(R'−Y')/1.402:
///
///   class 15 person (192,128,128): Y' = 0.5770 → Y 142.36, Cb 118.51, Cr 156.11 → (142, 119, 156)
///   class 12 dog    (64,0,128):    Y' = 0.1323 → Y  44.97, Cb 174.73, Cr 146.97 → ( 45, 175, 147)
///   class 3         (128,128,0):   Y' = 0.4447 → Y 113.40, Cb  71.78, Cr 137.14 → (113,  72, 137)
///   background black: (16, 128, 128)
@Suite struct OverlayRendererTests {
    /// A 3×2 picture, 4 bytes a row: the fourth byte of each row is padding that must survive.
    static let width = 3, height = 2, stride = 4
    static let pad: UInt8 = 0xEE
    /// Upright class map, same size as the picture:
    ///     0  15  12
    ///    15   0   3
    static let classMap: [UInt8] = [0, 15, 12, 15, 0, 3]
    static let sampler = BilinearSampler(frameWidth: 3, frameHeight: 2, orientation: .upright, mapWidth: 3, mapHeight: 2)
    static let luma: [UInt8] = [100, 100, 200, pad, 50, 60, 70, pad]
    static let neutral: [UInt8] = [128, 128, 128, pad, 128, 128, 128, pad]

    func draw(_ style: OverlayStyle, plane: Int, pixels: [UInt8], matrix: YUVMatrix = .bt601,
              colors: [(r: UInt8, g: UInt8, b: UInt8)] = ColorMap.colors(count: 21)) -> [UInt8]
    {
        let renderer = OverlayRenderer(style: style, colors: colors, matrix: matrix)
        return rendered(renderer, plane: plane, pixels: pixels, stride: Self.stride, width: Self.width,
                        height: Self.height, classMap: Self.classMap, sampler: Self.sampler)
    }

    // MARK: Blend

    @Test func halfBlendMixesTintedClassesAndLeavesBackgroundExactly() {
        let style = OverlayStyle(mode: .blend, alpha: 0.5)  // w = 128: out = (in + c + 1) / 2, floored
        let pad = Self.pad
        // (100+142+1)/2 = 121, (200+45+1)/2 = 123, (50+142+1)/2 = 96, (70+113+1)/2 = 92
        #expect(draw(style, plane: 0, pixels: Self.luma) == [100, 121, 123, pad, 96, 60, 92, pad])
        // (128+119+1)/2 = 124, (128+175+1)/2 = 152, (128+72+1)/2 = 100
        #expect(draw(style, plane: 1, pixels: Self.neutral) == [128, 124, 152, pad, 124, 128, 100, pad])
        // (128+156+1)/2 = 142, (128+147+1)/2 = 138, (128+137+1)/2 = 133
        #expect(draw(style, plane: 2, pixels: Self.neutral) == [128, 142, 138, pad, 142, 128, 133, pad])
    }

    @Test func alphaWeightIsRoundedNotTruncated() {
        // alpha 0.3 → w = round(76.8) = 77: out = (in·179 + c·77 + 128) >> 8
        // (17900+10934+128)>>8 = 113, (35800+3465+128)>>8 = 153, (8950+10934+128)>>8 = 78,
        // (12530+8701+128)>>8 = 83. (w = 76 would give 112 for the first.)
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0.3), plane: 0, pixels: Self.luma)
            == [100, 113, 153, Self.pad, 78, 60, 83, Self.pad])
    }

    @Test func alphaZeroLeavesEveryPixel() {
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0), plane: 0, pixels: Self.luma) == Self.luma)
        #expect(draw(OverlayStyle(mode: .blend, alpha: -1), plane: 0, pixels: Self.luma) == Self.luma)
        let odd: [UInt8] = [0, 255, 1, Self.pad, 254, 17, 99, Self.pad]
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0), plane: 2, pixels: odd) == odd)
    }

    @Test func alphaOneGivesTheExactColour() {
        let pad = Self.pad
        #expect(draw(OverlayStyle(mode: .blend, alpha: 1), plane: 0, pixels: Self.luma) == [100, 142, 45, pad, 142, 60, 113, pad])
        #expect(draw(OverlayStyle(mode: .blend, alpha: 1), plane: 1, pixels: [0, 0, 255, pad, 255, 9, 0, pad])
            == [0, 119, 175, pad, 119, 9, 72, pad])
        // Above 1 is clamped to 1.
        #expect(draw(OverlayStyle(mode: .blend, alpha: 3), plane: 2, pixels: Self.neutral) == [128, 156, 147, pad, 156, 128, 137, pad])
    }

    @Test func classesRestrictTheTint() {
        let pad = Self.pad
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0.5, classes: [12]), plane: 0, pixels: Self.luma)
            == [100, 100, 123, pad, 50, 60, 70, pad])
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0.5, classes: [3, 15]), plane: 0, pixels: Self.luma)
            == [100, 121, 200, pad, 96, 60, 92, pad])
        #expect(draw(OverlayStyle(mode: .blend, alpha: 0.5, classes: []), plane: 0, pixels: Self.luma) == Self.luma)
    }

    @Test func backgroundIsNeverTintedEvenWhenAsked() {
        #expect(OverlayStyle(classes: [0, 15]).tints(0) == false)
        #expect(OverlayStyle().tints(0) == false)
        #expect(OverlayStyle().tints(255))
        #expect(draw(OverlayStyle(mode: .blend, alpha: 1, classes: [0, 15]), plane: 0, pixels: Self.luma)
            == [100, 142, 200, Self.pad, 142, 60, 70, Self.pad])
    }

    @Test func classesWithoutAColourAreNotTinted() {
        // Only classes 0...12 have colours: 15 is left alone (blend) or black (mask).
        let colors = ColorMap.colors(count: 13)
        #expect(draw(OverlayStyle(mode: .blend, alpha: 1), plane: 0, pixels: Self.luma, colors: colors)
            == [100, 100, 45, Self.pad, 50, 60, 113, Self.pad])
        #expect(draw(OverlayStyle(mode: .mask), plane: 0, pixels: Self.luma, colors: colors)
            == [16, 16, 45, Self.pad, 16, 16, 113, Self.pad])
    }

    // MARK: Mask

    @Test func maskIsTheClassColourOnBlack() {
        let pad = Self.pad
        let anything: [UInt8] = [7, 250, 3, pad, 99, 200, 0, pad]
        #expect(draw(OverlayStyle(mode: .mask), plane: 0, pixels: anything) == [16, 142, 45, pad, 142, 16, 113, pad])
        #expect(draw(OverlayStyle(mode: .mask), plane: 1, pixels: anything) == [128, 119, 175, pad, 119, 128, 72, pad])
        #expect(draw(OverlayStyle(mode: .mask), plane: 2, pixels: anything) == [128, 156, 147, pad, 156, 128, 137, pad])
    }

    @Test func maskIgnoresAlphaAndBlacksOutUnselectedClasses() {
        let pad = Self.pad
        #expect(draw(OverlayStyle(mode: .mask, alpha: 0.1, classes: [15]), plane: 0, pixels: Self.luma)
            == [16, 142, 16, pad, 142, 16, 16, pad])
    }

    @Test func maskInFullRange() {
        // Full range: black is Y 0; person Y = 255·0.5770 = 147.1, dog 255·0.1323 = 33.7, class 3 113.4.
        let full = YUVMatrix(kr: 0.299, kb: 0.114, fullRange: true)
        #expect(draw(OverlayStyle(mode: .mask), plane: 0, pixels: Self.luma, matrix: full)
            == [0, 147, 34, Self.pad, 147, 0, 113, Self.pad])
    }

    @Test func customColour() {
        // White in BT.601 limited range is (235, 128, 128).
        let colors = ColorMap.colors(count: 21, custom: [[0, 0, 0], [0, 0, 0], [0, 0, 0], [255, 255, 255]])
        #expect(draw(OverlayStyle(mode: .mask, classes: [3]), plane: 0, pixels: Self.luma, colors: colors)
            == [16, 16, 16, Self.pad, 16, 16, 235, Self.pad])
    }

    // MARK: Chroma planes and turned frames

    @Test func subsampledChromaTakesTheTopLeftLumaClass() {
        // 4×2 frame, 4:2:0 chroma 2×1. Luma classes:
        //     0  15  12   0
        //    15  15  15  15
        // Chroma pixel 0 covers luma (0,0) — background — and pixel 1 covers (2,0) — dog.
        let map: [UInt8] = [0, 15, 12, 0, 15, 15, 15, 15]
        let luma = BilinearSampler(frameWidth: 4, frameHeight: 2, orientation: .upright, mapWidth: 4, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: 1, log2Height: 1, planeWidth: 2, planeHeight: 1)
        let renderer = OverlayRenderer(style: OverlayStyle(mode: .blend, alpha: 1), colors: ColorMap.colors(count: 21), matrix: .bt601)
        #expect(rendered(renderer, plane: 1, pixels: [128, 128], stride: 2, width: 2, height: 1, classMap: map, sampler: chroma)
            == [128, 175])
        #expect(rendered(renderer, plane: 2, pixels: [128, 128], stride: 2, width: 2, height: 1, classMap: map, sampler: chroma)
            == [128, 147])
    }

    @Test func turnedFrameIsTintedWhereTheUprightClassIs() {
        // Stored 2×3 picture shown turned 90° clockwise over an upright 3×2 class map
        //     0 15  0
        //     0  0  0
        // The upright top-middle pixel (1, 0) is stored (x = 0, y = 3−1−1 = 1).
        let map: [UInt8] = [0, 15, 0, 0, 0, 0]
        let sampler = BilinearSampler(frameWidth: 2, frameHeight: 3, orientation: .clockwise90, mapWidth: 3, mapHeight: 2)
        let renderer = OverlayRenderer(style: OverlayStyle(mode: .mask), colors: ColorMap.colors(count: 21), matrix: .bt601)
        #expect(rendered(renderer, plane: 0, pixels: [0, 0, 0, 0, 0, 0], stride: 2, width: 2, height: 3, classMap: map, sampler: sampler)
            == [16, 16, 142, 16, 16, 16])
    }
}
