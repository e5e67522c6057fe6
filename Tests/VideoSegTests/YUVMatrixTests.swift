import CFFmpeg
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia

/// Expected values worked out by hand from the Y'CbCr definitions:
/// Y = 16 + 219·Y', Cb = 128 + 224·(B'−Y')/(2(1−Kb)), Cr = 128 + 224·(R'−Y')/(2(1−Kr)) (limited),
/// Y = 255·Y', Cb/Cr = 128 + 255·… (full), rounded to the nearest integer and clamped to 0...255.
@Suite struct YUVMatrixTests {
    @Test func bt601LimitedRange() {
        let m = YUVMatrix.bt601
        #expect(m.kr == 0.299 && m.kb == 0.114 && !m.fullRange)
        #expect(m.yuv(r: 255, g: 255, b: 255) == (235, 128, 128))
        #expect(m.yuv(r: 0, g: 0, b: 0) == (16, 128, 128))
        // Red: Y = 16 + 219·0.299 = 81.48; Cb = 128 − 224·0.299/1.772 = 90.20; Cr = 128 + 112 = 240.
        #expect(m.yuv(r: 255, g: 0, b: 0) == (81, 90, 240))
        // Blue: Y = 16 + 219·0.114 = 40.97; Cb = 240; Cr = 128 − 224·0.114/1.402 = 109.79.
        #expect(m.yuv(r: 0, g: 0, b: 255) == (41, 240, 110))
        // Person (192,128,128): Y' = 0.57700; Y = 142.36, Cb = 118.51, Cr = 156.11.
        #expect(m.yuv(r: 192, g: 128, b: 128) == (142, 119, 156))
        #expect(m.black == (16, 128, 128))
    }

    @Test func bt709LimitedRange() {
        // Red: Y = 16 + 219·0.2126 = 62.56; Cb = 128 − 224·0.2126/1.8556 = 102.34; Cr = 240.
        #expect(YUVMatrix.bt709.yuv(r: 255, g: 0, b: 0) == (63, 102, 240))
        #expect(YUVMatrix.bt709.yuv(r: 255, g: 255, b: 255) == (235, 128, 128))
    }

    @Test func fullRange() {
        let full = YUVMatrix(kr: 0.299, kb: 0.114, fullRange: true)
        #expect(full.yuv(r: 255, g: 255, b: 255) == (255, 128, 128))
        #expect(full.yuv(r: 0, g: 0, b: 0) == (0, 128, 128))
        // Red: Cr = 128 + 127.5 = 255.5, clamped to 255; Y = 255·0.299 = 76.25; Cb = 84.97.
        #expect(full.yuv(r: 255, g: 0, b: 0) == (76, 85, 255))
        #expect(full.black == (0, 128, 128))
    }

    @Test func matrixFromFFmpegTags() {
        #expect(YUVMatrix(colorspace: AVCOL_SPC_BT709, range: AVCOL_RANGE_MPEG) == .bt709)
        #expect(YUVMatrix(colorspace: AVCOL_SPC_UNSPECIFIED, range: AVCOL_RANGE_UNSPECIFIED) == .bt601)
        #expect(YUVMatrix(colorspace: AVCOL_SPC_BT470BG, range: AVCOL_RANGE_MPEG) == .bt601)
        #expect(YUVMatrix(colorspace: AVCOL_SPC_SMPTE170M, range: AVCOL_RANGE_MPEG) == .bt601)
        #expect(YUVMatrix(colorspace: AVCOL_SPC_BT709, range: AVCOL_RANGE_JPEG)
            == YUVMatrix(kr: 0.2126, kb: 0.0722, fullRange: true))
        #expect(YUVMatrix(colorspace: AVCOL_SPC_BT2020_NCL, range: AVCOL_RANGE_MPEG)
            == YUVMatrix(kr: 0.2627, kb: 0.0593, fullRange: false))
        #expect(YUVMatrix(colorspace: AVCOL_SPC_BT470BG, range: AVCOL_RANGE_JPEG).fullRange)
    }
}
