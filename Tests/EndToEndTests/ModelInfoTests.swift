import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// `videoseg model info`: the tutorial's "do the app and Python agree" check.
    @Suite struct ModelInfo {
        @Test func printsMetadataAndOneForwardPass() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch)
            let image = scratch.path("blue.png")
            try ffmpeg(["-f", "lavfi", "-i", "color=c=blue:size=80x64", "-frames:v", "1", image])
            let run = try videoseg(["model", "info", model, "--image", image])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("labels (3): red, green, blue"))
            #expect(run.stdout.contains("input size: 64 (short side)"))
            #expect(run.stdout.contains("input shape: [1, 3, 64, 80]"))
            #expect(run.stdout.contains("output shape: [1, 3, 64, 80]"))
            #expect(run.stdout.contains("classes: blue 100.0%"))
            // The first scores are the red channel of pure blue: 0.
            #expect(run.stdout.contains("first values: 0 0 0"))
        }

        @Test func fileWithoutMetadataIsTheTutorialModel() throws {
            let scratch = try Scratch()
            let model = scratch.path("bare.pt")
            try SegmentationModel.define(source: "def forward(self, x):\n    return x\n", metadata: nil, path: model)
            let run = try videoseg(["model", "info", model])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("labels (21): background, aeroplane"))
            #expect(run.stdout.contains("person"))
            #expect(run.stdout.contains("mean: [0.485, 0.456, 0.406]"))
        }

        @Test func sidecarJSONOverridesEmbeddedMetadata() throws {
            let scratch = try Scratch()
            let model = try makeChannelModel(in: scratch, name: "side.pt")
            try Data(#"{"labels": ["r", "g", "b"], "input_size": [32, 16]}"#.utf8).write(to: URL(fileURLWithPath: scratch.path("side.json")))
            let run = try videoseg(["model", "info", model])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("labels (3): r, g, b"))
            #expect(run.stdout.contains("input size: 32x16"))
            #expect(run.stdout.contains("mean: [0, 0, 0]"))
        }
    }
}
