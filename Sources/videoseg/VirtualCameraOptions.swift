import ArgumentParser
import VideoSeg

/// `--virtual-camera DEVICE`, on `camera` and `segment --live`: the processed frames also go to a
/// V4L2 output device, and a recording is made only when `-o` asks for one. One definition, so
/// the two commands cannot come to mean different things by it.
struct VirtualCameraOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Also write each processed frame to this V4L2 output device (v4l2loopback), yuv420p or yuyv422 at the input's size; records nothing unless -o is given.",
        valueName: "device"))
    var virtualCamera: String?

    /// `output`, unless the frames go to a virtual camera: then a person who wants a recording
    /// as well names it with `-o` (a call should not fill the disk unasked).
    func defaultOutput(_ output: @autoclosure () -> String) -> String? {
        virtualCamera == nil ? output() : nil
    }

    /// Refuses a virtual camera on input that is not live (see
    /// `SegmentConfiguration.virtualCameraProblem`), as a usage error.
    func validate(live: Bool) throws {
        if virtualCamera != nil, let problem = SegmentConfiguration.virtualCameraProblem(live: live) {
            throw ValidationError(SettingFlags.text(problem))
        }
    }

    /// Sends `configuration`'s rendered frames to the device, when one was given.
    func apply(to configuration: inout SegmentConfiguration) {
        configuration.virtualCamera = virtualCamera
    }
}
