import CFFmpeg
import Foundation
import VideoSegCore

/// What `--style replace` puts behind the foreground, in the render target's format and size: a colour, a
/// picture (scaled to cover the frame and centre-cropped), or a video decoded alongside the input
/// and looped, one of its frames for each frame of the input. Opened, and so checked, before any
/// frame is processed. Used by the render stage's thread.
package final class BackgroundPicture: @unchecked Sendable {
    // @unchecked: a background video's FFmpeg demuxer and scaler, used by the render stage's thread only.
    private let description: String
    private let converter: FrameConverter
    private let width: Int
    private let height: Int
    private var source: MediaSource?
    /// A still picture or colour: converted once and drawn from for every frame.
    private var still: RenderedFrame?

    /// `spec` is a colour (`#00B140`, `00B140`, `green`, `black`, ...) or a file FFmpeg reads. A
    /// raised `stop` ends an open or read that waits (a FIFO with no writer), as for the input.
    package init(_ spec: String, target: RenderTarget, census: ResourceCensus?, stop: StopFlag? = nil) throws {
        description = spec
        converter = target.makeFrameConverter(census: census)
        (width, height) = (target.width, target.height)
        if let color = BackgroundPicture.color(spec) {
            still = try fill(color, layout: target.frameLayout)
            return
        }
        let opened = try MediaSource(path: spec, stop: stop)
        let first = try opened.firstFrame()
        if opened.estimatedFrameCount.map({ $0 <= 1 }) ?? true {
            still = try cover(first)
        } else {
            source = try MediaSource(path: spec, stop: stop)
        }
    }

    /// The background for the next frame.
    package func next() throws -> RenderedFrame {
        if let still { return still }
        guard let current = source else { throw VideoSegError.notAVideo(path: description, reason: "no background") }
        while true {
            if let event = try current.next() {
                if case .video(let frame) = event { return try cover(frame) }
                continue
            }
            // The end of the background video: start it again.
            source = try MediaSource(path: description)
            guard let restarted = source, case .video(let frame) = try restarted.firstFrameEvent() else {
                throw VideoSegError.notAVideo(path: description, reason: "no picture could be decoded")
            }
            return try cover(frame)
        }
    }

    /// `frame` centre-cropped to the output's aspect and scaled to cover it.
    private func cover(_ frame: DecodedFrame) throws -> RenderedFrame {
        let picture = frame.frame
        let sourceAspect = Double(picture.pointee.width) / Double(picture.pointee.height)
        let targetAspect = Double(width) / Double(height)
        if sourceAspect > targetAspect {
            let keep = Int((Double(picture.pointee.height) * targetAspect).rounded())
            let cut = max(0, Int(picture.pointee.width) - keep)
            picture.pointee.crop_left = cut / 2
            picture.pointee.crop_right = cut - cut / 2
        } else {
            let keep = Int((Double(picture.pointee.width) / targetAspect).rounded())
            let cut = max(0, Int(picture.pointee.height) - keep)
            picture.pointee.crop_top = cut / 2
            picture.pointee.crop_bottom = cut - cut / 2
        }
        try checkFFmpeg(av_frame_apply_cropping(picture, Int32(AV_FRAME_CROP_UNALIGNED)), path: description, operation: "cropping the background")
        return try converter.convert(frame)
    }

    /// A frame of one colour.
    private func fill(_ color: (r: UInt8, g: UInt8, b: UInt8), layout: FrameLayout) throws -> RenderedFrame {
        let blank = av_frame_alloc()!
        blank.pointee.format = AV_PIX_FMT_RGB24.rawValue
        blank.pointee.width = Int32(width)
        blank.pointee.height = Int32(height)
        let owned = DecodedFrame(taking: blank, census: nil)
        try checkFFmpeg(av_frame_get_buffer(blank, 0), path: description, operation: "allocating the background")
        for y in 0..<height {
            let row = blank.pointee.data.0! + y * Int(blank.pointee.linesize.0)
            for x in 0..<width {
                row[3 * x] = color.r
                row[3 * x + 1] = color.g
                row[3 * x + 2] = color.b
            }
        }
        let rendered = try converter.convert(owned)
        // The exact colour, not swscale's rounding of it, in every sample.
        let yuv = layout.matrix.yuv(r: color.r, g: color.g, b: color.b)
        let values = [yuv.y, yuv.u, yuv.v]
        for (index, plane) in rendered.planes.prefix(3).enumerated() {
            let shiftW = index == 0 ? 0 : layout.log2ChromaWidth, shiftH = index == 0 ? 0 : layout.log2ChromaHeight
            let planeWidth = (width + (1 << shiftW) - 1) >> shiftW, planeHeight = (height + (1 << shiftH) - 1) >> shiftH
            for y in 0..<planeHeight {
                let row = plane.pixels + y * plane.stride
                for x in 0..<planeWidth {
                    if layout.bitDepth > 8 {
                        row.assumingMemoryBound(to: UInt16.self)[x] = UInt16(values[index]) << UInt16(layout.bitDepth - 8)
                    } else {
                        row.assumingMemoryBound(to: UInt8.self)[x] = values[index]
                    }
                }
            }
        }
        return rendered
    }

    /// `#RRGGBB`, `RRGGBB`, `0xRRGGBB` or a few names; nil when `spec` is none of these.
    package static func color(_ spec: String) -> (r: UInt8, g: UInt8, b: UInt8)? {
        let names: [String: UInt32] = [
            "black": 0x000000, "white": 0xFFFFFF, "green": 0x00B140, "blue": 0x0047BB, "gray": 0x808080, "grey": 0x808080,
        ]
        var hex = spec.lowercased()
        if let named = names[hex] { return (UInt8(named >> 16), UInt8((named >> 8) & 0xFF), UInt8(named & 0xFF)) }
        if hex.hasPrefix("#") { hex.removeFirst() } else if hex.hasPrefix("0x") { hex.removeFirst(2) } else if FileManager.default.fileExists(atPath: spec) {
            return nil
        }
        guard hex.count == 6, let value = UInt32(hex, radix: 16) else { return nil }
        return (UInt8(value >> 16), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF))
    }
}
