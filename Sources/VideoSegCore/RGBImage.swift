/// A packed 8-bit RGB picture (3 bytes a pixel, rows `stride` bytes apart), borrowed from the
/// scaler that made it: valid until that scaler's next picture. The model takes its input from
/// this plain buffer and never sees an FFmpeg type.
public struct RGBImage {
    public let pixels: UnsafePointer<UInt8>
    public let width: Int
    public let height: Int
    public let stride: Int

    /// Borrows `pixels`, `height` rows of `width` pixels, rows `stride` bytes apart.
    package init(pixels: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.stride = stride
    }
}
