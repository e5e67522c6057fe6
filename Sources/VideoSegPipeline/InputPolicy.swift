import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegOutput
import VideoSegRender

/// How the pipeline treats its input, decided once from whether it is live. Everything that
/// differs between a recorded file and a camera is a field here; the pipeline and its stages
/// read the policy instead of asking "is this live?" themselves.
public struct InputPolicy: Sendable, Equatable {
    /// Frames wait in a one-slot queue before inference where a newer frame replaces a waiting
    /// one (dropped and counted), and preprocessing, the forward pass and the scores run on one
    /// thread, so a frame waits at most one frame interval. Otherwise no frame is ever dropped:
    /// queues apply backpressure to the decoder.
    public var keepsOnlyLatestFrame: Bool
    /// Timestamps are rebased to start at zero, whatever clock the device stamps with, and each
    /// frame carries its capture time so latency can be measured.
    public var stampsCaptureTime: Bool
    /// The annotated video is written in place as it goes (fragmented MP4, a keyframe each
    /// second), so a killed process leaves a playable recording.
    public var writesInPlace: Bool
    /// Audio travels with the frames to the output.
    public var carriesAudio: Bool
    /// Masks are numbered by processed frame, and the manifest adds the capture frame number, so
    /// dropped frames show as gaps there.
    public var numbersMasksByProcessedFrame: Bool

    /// A recorded file: every frame, audio copied, output renamed into place when finished.
    public static let recorded = InputPolicy(
        keepsOnlyLatestFrame: false, stampsCaptureTime: false, writesInPlace: false, carriesAudio: true,
        numbersMasksByProcessedFrame: false)

    /// A camera, stream or pipe: keep-latest, capture clock, fragmented recording, no audio.
    public static let live = InputPolicy(
        keepsOnlyLatestFrame: true, stampsCaptureTime: true, writesInPlace: true, carriesAudio: false,
        numbersMasksByProcessedFrame: true)
}
