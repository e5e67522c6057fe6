import Testing

@testable import VideoSegModel

@Suite struct InputSizeTests {
    @Test func parsesAShortSideLength() {
        #expect(InputSize(parsing: "400") == .shortSide(400))
        #expect(InputSize(parsing: "1") == .shortSide(1))
    }

    @Test func parsesWidthByHeight() {
        #expect(InputSize(parsing: "320x240") == .fixed(width: 320, height: 240))
        #expect(InputSize(parsing: "320X240") == .fixed(width: 320, height: 240))
        #expect(InputSize(parsing: "240x320") == .fixed(width: 240, height: 320))
    }

    @Test(arguments: ["0", "x", "-1", "", "320x", "x240", "0x240", "320x0", "-320x240", "320x240x2", "abc", "3.5", "400 "])
    func rejects(text: String) {
        #expect(InputSize(parsing: text) == nil)
    }

    @Test func shortSideOfALandscapePicture() {
        // 1280·400/720 = 711.1 → 711
        #expect(InputSize.shortSide(400).resolved(forUprightWidth: 1280, height: 720) == (711, 400))
        // 640·240/480 = 320 exactly
        #expect(InputSize.shortSide(240).resolved(forUprightWidth: 640, height: 480) == (320, 240))
    }

    @Test func shortSideOfAPortraitPicture() {
        #expect(InputSize.shortSide(400).resolved(forUprightWidth: 720, height: 1280) == (400, 711))
        // 1920·500/1080 = 888.9 → 889 (rounded, not truncated)
        #expect(InputSize.shortSide(500).resolved(forUprightWidth: 1080, height: 1920) == (500, 889))
    }

    @Test func shortSideOfASquareAndAnExtremePicture() {
        #expect(InputSize.shortSide(400).resolved(forUprightWidth: 500, height: 500) == (400, 400))
        #expect(InputSize.shortSide(1).resolved(forUprightWidth: 3000, height: 1000) == (3, 1))
        #expect(InputSize.shortSide(1).resolved(forUprightWidth: 1000, height: 3000) == (1, 3))
    }

    @Test func fixedSizeIgnoresTheSource() {
        #expect(InputSize.fixed(width: 256, height: 144).resolved(forUprightWidth: 720, height: 1280) == (256, 144))
        #expect(InputSize.fixed(width: 256, height: 144).resolved(forUprightWidth: 1920, height: 1080) == (256, 144))
    }

    @Test func descriptions() {
        #expect(InputSize.fixed(width: 320, height: 240).description == "320x240")
        #expect(InputSize.shortSide(400).description == "400 (short side)")
    }
}
