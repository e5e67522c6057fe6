import Testing

@testable import VideoSegMedia
@testable import VideoSegRender

/// The background blur from background samples only (normalised convolution).
@Suite struct RegionBlurTests {
    @Test func aBackgroundSampleBesideASaturatedRedPersonStaysFreeOfRed() {
        // The V (red-difference) plane of a 40×8 picture: neutral grey background (128) left of
        // column 20, a saturated red person (V 240) from it on; the region is the background.
        let width = 40, height = 8
        var plane = (0..<(width * height)).map { UInt8($0 % width < 20 ? 128 : 240) }
        let region = (0..<(width * height)).map { Float($0 % width < 20 ? 1 : 0) }
        plane.withUnsafeMutableBytes { bytes in
            RegionBlur.blur(PlaneView(pixels: bytes.baseAddress!, stride: width), width: width, height: height, radius: 6,
                            sixteenBit: false, region: region)
        }
        // Every background sample, the one touching the person too, keeps exactly no red.
        for y in 0..<height {
            for x in 0..<20 { #expect(plane[y * width + x] == 128, "(\(x), \(y))") }
        }
        // The plain blur would have spread it: the same plane blurred from every sample.
        var plain = (0..<(width * height)).map { UInt8($0 % width < 20 ? 128 : 240) }
        plain.withUnsafeMutableBytes { bytes in
            RegionBlur.blur(PlaneView(pixels: bytes.baseAddress!, stride: width), width: width, height: height, radius: 6,
                            sixteenBit: false, region: [Float](repeating: 1, count: width * height))
        }
        #expect(plain[19] > 150)
    }

    @Test func theRegionAveragesTheBackgroundWeightDown() {
        var full = ForegroundWeights(width: 4, height: 2)
        full.subsample(ForegroundWeights(width: 4, height: 2), log2Width: 0, log2Height: 0)
        // All weights 0 (no foreground): the background region is 1 everywhere, at any size.
        #expect(RegionBlur.region(of: full, width: 2, height: 1, foreground: false) == [1, 1])
        #expect(RegionBlur.region(of: full, width: 2, height: 1, foreground: true) == [0, 0])
    }
}
