import ArgumentParser
import VideoSeg

@main
struct VideoSegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "videoseg",
        abstract: "Semantic segmentation of video with a TorchScript model.",
        discussion: """
            Exit codes: 0 done; 1 error (one line on stderr); 3 done, but the input was damaged \
            (corrupt or truncated; what decoded was segmented); 64 bad usage; 130 stopped by \
            Ctrl-C or SIGTERM (the output holds what was done and is playable).
            """,
        version: BuildInfo.description,
        subcommands: [SegmentCommand.self, CameraCommand.self, BatchCommand.self, ModelCommand.self, BenchCommand.self]
    )
}
