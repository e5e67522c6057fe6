/// The phases of one run of a `SegmentationPipeline`, as `SegmentResult.phases` names them. The
/// frames are one phase; everything else is what a run costs around them, whatever its length
/// (what a batch of short videos pays once per video).
public enum RunPhase: String, CaseIterable, Sendable {
    /// Checking that the outputs may be written, before anything is opened.
    case check
    /// Opening the input: the demuxer, the probe of its streams, the decoder.
    case open
    /// The model: loaded and prepared, or lent already prepared by a `ModelCache`.
    case model
    /// Opening the outputs: the encoder, the muxer and the file under its temporary name, the
    /// mask writer, a virtual camera, a background picture.
    case outputs
    /// The stage threads, from their start until the last has ended: every frame decoded,
    /// segmented, drawn and handed to the encoder and the mask writer (`SegmentResult.seconds`).
    case frames
    /// The frames the encoder still held (its look-ahead), encoded and muxed at the end.
    case flush
    /// The trailer written, the file renamed into place, the masks' manifest finished.
    case finish
}
