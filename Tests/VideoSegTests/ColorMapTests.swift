import Testing

@testable import VideoSegCore

@Suite struct ColorMapTests {
    /// The published PASCAL VOC palette (VOCdevkit's labelcolormap), class id → (R, G, B).
    @Test(arguments: [
        (0, 0, 0, 0), (1, 128, 0, 0), (2, 0, 128, 0), (3, 128, 128, 0), (4, 0, 0, 128), (5, 128, 0, 128),
        (6, 0, 128, 128), (7, 128, 128, 128), (8, 64, 0, 0), (9, 192, 0, 0), (10, 64, 128, 0), (11, 192, 128, 0),
        (12, 64, 0, 128), (13, 192, 0, 128), (14, 64, 128, 128), (15, 192, 128, 128), (16, 0, 64, 0),
        (17, 128, 64, 0), (18, 0, 192, 0), (19, 128, 192, 0), (20, 0, 64, 128), (255, 224, 224, 192),
    ])
    func vocColour(id: Int, r: Int, g: Int, b: Int) {
        let color = ColorMap.vocColor(id)
        #expect([Int(color.r), Int(color.g), Int(color.b)] == [r, g, b])
    }

    @Test func defaultColoursAreTheVOCPalette() {
        let colors = ColorMap.colors(count: 21)
        #expect(colors.count == 21)
        #expect(colors[0] == (0, 0, 0))
        #expect(colors[12] == (64, 0, 128))
        #expect(colors[15] == (192, 128, 128))
        #expect(colors[20] == (0, 64, 128))
        #expect(ColorMap.colors(count: 0).isEmpty)
    }

    @Test func customColoursOverrideByIndex() {
        // Entry 1 is malformed and entry 2 empty: those classes keep their VOC colour. Entry 4
        // is past `count` and ignored.
        let colors = ColorMap.colors(count: 4, custom: [[1, 2, 3], [9, 9], [], [10, 20, 30], [7, 7, 7]])
        #expect(colors.count == 4)
        #expect(colors[0] == (1, 2, 3))
        #expect(colors[1] == (128, 0, 0))
        #expect(colors[2] == (0, 128, 0))
        #expect(colors[3] == (10, 20, 30))
    }

    @Test func classesBeyondTheCustomListKeepTheirVOCColour() {
        let colors = ColorMap.colors(count: 16, custom: [[0, 0, 0], [255, 255, 255]])
        #expect(colors[1] == (255, 255, 255))
        #expect(colors[15] == (192, 128, 128))
    }
}
