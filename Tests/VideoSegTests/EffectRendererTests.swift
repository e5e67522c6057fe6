import CFFmpeg
import Foundation
import Testing

@testable import VideoSegMedia
@testable import VideoSegModel
@testable import VideoSegRender

/// The effects, in-process: a replaced background where the model sees background, the picture
/// untouched where it sees the person.
@Suite struct EffectRendererTests {
    let target = RenderTarget(width: 32, height: 16, pixelFormat: AV_PIX_FMT_YUV420P, colorspace: AVCOL_SPC_BT709, fullRange: false,
                              path: "effect-test")

    /// A 32×16 test picture, as the source stage would hand it on.
    func picture() throws -> DecodedFrame {
        try MediaSource(path: "testsrc2=size=32x16:rate=10:duration=0.1", formatName: "lavfi").firstFrame()
    }

    func renderer(_ style: OverlayStyle, background: BackgroundPicture?) -> EffectRenderer {
        let layout = target.frameLayout
        let luma = BilinearSampler(frameWidth: 32, frameHeight: 16, orientation: .upright, mapWidth: 4, mapHeight: 2)
        let chroma = luma.subsampled(log2Width: layout.log2ChromaWidth, log2Height: layout.log2ChromaHeight, planeWidth: 16, planeHeight: 8)
        return EffectRenderer(target: target, luma: luma, chroma: chroma, style: style, classCount: 2, background: background, census: nil)
    }

    /// The samples of the first three planes, row by row without padding.
    func samples(_ frame: RenderedFrame) -> [[UInt8]] {
        frame.planes.prefix(3).enumerated().map { index, plane in
            let width = index == 0 ? 32 : 16, height = index == 0 ? 16 : 8
            return (0..<height).flatMap { y in
                (0..<width).map { x in (plane.pixels + y * plane.stride).assumingMemoryBound(to: UInt8.self)[x] }
            }
        }
    }

    var replaceStyle: OverlayStyle {
        var style = OverlayStyle(mode: .replace, edges: .hard)
        style.background = "#00B140"
        return style
    }

    @Test func backgroundEverywhereIsReplacedByTheExactColour() throws {
        let background = try BackgroundPicture("#00B140", target: target, census: nil)
        let rendered = try renderer(replaceStyle, background: background)
            .render(try picture(), segmentation: segmentation(classMap: [UInt8](repeating: 0, count: 8), width: 4, height: 2))
        let green = target.frameLayout.matrix.yuv(r: 0x00, g: 0xB1, b: 0x40)
        let planes = samples(rendered)
        #expect(planes[0].allSatisfy { $0 == green.y })
        #expect(planes[1].allSatisfy { $0 == green.u })
        #expect(planes[2].allSatisfy { $0 == green.v })
    }

    @Test func thePersonEverywhereKeepsThePictureAsItWas() throws {
        let background = try BackgroundPicture("#00B140", target: target, census: nil)
        let frame = try picture()
        let rendered = try renderer(replaceStyle, background: background)
            .render(frame, segmentation: segmentation(classMap: [UInt8](repeating: 1, count: 8), width: 4, height: 2))
        let plain = try target.makeFrameConverter(census: nil).convert(frame)
        #expect(samples(rendered) == samples(plain))
    }

    @Test func theDefaultBlurRadiusIsTwoPercentOfTheShortSide() {
        #expect(EffectRenderer.radius(OverlayStyle(mode: .blur), width: 1280, height: 720) == 14)
        #expect(EffectRenderer.radius(OverlayStyle(mode: .blur), width: 64, height: 48) == 2)
        var style = OverlayStyle(mode: .blur)
        style.blurRadius = 9
        #expect(EffectRenderer.radius(style, width: 1280, height: 720) == 9)
    }
}
