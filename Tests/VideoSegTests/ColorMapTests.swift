import Testing

@testable import VideoSeg

@Suite struct ColorMapTests {
    /// The PASCAL VOC colour map's published values.
    @Test(arguments: [
        (0, 0, 0, 0), (1, 128, 0, 0), (2, 0, 128, 0), (3, 128, 128, 0), (4, 0, 0, 128), (7, 128, 128, 128),
        (8, 64, 0, 0), (12, 64, 0, 128), (15, 192, 128, 128), (20, 0, 64, 128), (255, 224, 224, 192),
    ])
    func vocColours(id: Int, r: Int, g: Int, b: Int) {
        let color = ColorMap.vocColor(id)
        #expect(Int(color.r) == r && Int(color.g) == g && Int(color.b) == b)
    }

    @Test func customColoursOverrideByIndex() {
        let colors = ColorMap.colors(count: 3, custom: [[1, 2, 3], [9, 9]])
        #expect(colors[0] == (1, 2, 3))
        #expect(colors[1] == (128, 0, 0))  // malformed entry: VOC colour
        #expect(colors[2] == (0, 128, 0))
    }
}

@Suite struct YUVMatrixTests {
    @Test func bt601LimitedRange() {
        #expect(YUVMatrix.bt601.yuv(r: 255, g: 255, b: 255) == (235, 128, 128))
        #expect(YUVMatrix.bt601.yuv(r: 0, g: 0, b: 0) == (16, 128, 128))
        #expect(YUVMatrix.bt601.yuv(r: 255, g: 0, b: 0) == (81, 90, 240))
        #expect(YUVMatrix.bt601.yuv(r: 0, g: 0, b: 255) == (41, 240, 110))
    }

    @Test func bt709AndFullRange() {
        #expect(YUVMatrix.bt709.yuv(r: 255, g: 0, b: 0) == (63, 102, 240))
        let full = YUVMatrix(kr: 0.299, kb: 0.114, fullRange: true)
        #expect(full.yuv(r: 255, g: 255, b: 255) == (255, 128, 128))
        #expect(full.black == (0, 128, 128))
    }
}
