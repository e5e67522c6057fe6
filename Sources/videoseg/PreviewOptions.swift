import ArgumentParser
import VideoSegPreview

/// `--preview [HOST:]PORT`, on `segment` and `camera`.
struct PreviewOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Serve a live preview page (picture, figures, /stream.mjpg, /status.json, /metrics) on this port; the host is 127.0.0.1 unless given (0.0.0.0:8080 for every interface).",
        valueName: "[host:]port"))
    var preview: String?

    func validate() throws {
        if let preview, PreviewAddress(preview) == nil {
            throw ValidationError("--preview \(preview): expected [HOST:]PORT with a port from 0 to 65535, e.g. 8080 or 0.0.0.0:8080")
        }
    }

    /// Where to serve, when asked.
    var address: PreviewAddress? { preview.flatMap(PreviewAddress.init) }
}
