import CFFmpeg
import Foundation
import VideoSegCore

/// The picture the sink encodes: size, the source's tags, and timing.
package struct VideoFormat {
    package var width: Int
    package var height: Int
    package var timeBase: AVRational
    package var frameRate: AVRational
    var sampleAspectRatio: AVRational
    var colorPrimaries: AVColorPrimaries
    var colorTransfer: AVColorTransferCharacteristic
    var colorspace: AVColorSpace
    package var fullRange: Bool
    /// The 8-bit planar YUV layout the source has (4:2:0, 4:2:2 or 4:4:4).
    var sourcePixelFormat: AVPixelFormat
    /// The source's display matrix, carried over to containers that keep it.
    var displayMatrix: [UInt8]?
    /// A pixel format to encode in instead of the YUV layout chosen from the source (gray8 masks).
    var forcedPixelFormat: AVPixelFormat? = nil
}
