import CFFmpeg
import VideoSegCore

extension YUVMatrix {
    /// The matrix for FFmpeg's colour-space tag; untagged and unknown fall back to BT.601.
    public init(colorspace: AVColorSpace, range: AVColorRange) {
        let full = range == AVCOL_RANGE_JPEG
        switch colorspace {
        case AVCOL_SPC_BT709:
            self.init(kr: 0.2126, kb: 0.0722, fullRange: full)
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL:
            self.init(kr: 0.2627, kb: 0.0593, fullRange: full)
        case AVCOL_SPC_SMPTE240M:
            self.init(kr: 0.212, kb: 0.087, fullRange: full)
        case AVCOL_SPC_FCC:
            self.init(kr: 0.30, kb: 0.11, fullRange: full)
        default:
            self.init(kr: 0.299, kb: 0.114, fullRange: full)
        }
    }
}
