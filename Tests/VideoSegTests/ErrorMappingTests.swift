import CFFmpeg
import Foundation
import Testing

@testable import VideoSeg

@Suite struct ErrorMappingTests {
    @Test func ffmpegCodesBecomeTypedErrorsWithTheirMessage() {
        #expect(ffmpegErrorString(vs_averror_eof()) == "End of file")
        #expect(ffmpegErrorString(vs_averror_invaliddata()) == "Invalid data found when processing input")
        #expect(ffmpegErrorString(vs_averror(ENOSPC)) == "No space left on device")
        #expect(throws: VideoSegError.ffmpeg(path: "a.mp4", operation: "encoding", code: vs_averror(EFBIG), message: "File too large")) {
            try checkFFmpeg(vs_averror(EFBIG), path: "a.mp4", operation: "encoding")
        }
        #expect((try? checkFFmpeg(5, path: "a.mp4", operation: "x")) == 5)
    }

    @Test func descriptionsAreOneLineAndNameTheFile() {
        let errors: [VideoSegError] = [
            .inputNotFound(path: "/v/in.mp4"), .notAVideo(path: "/v/in.mp4", reason: "audio only"),
            .ffmpeg(path: "/v/in.mp4", operation: "decoding", code: -1, message: "boom"), .model(path: "/v/in.mp4", message: "bad"),
            .outputExists(path: "/v/in.mp4"), .outputIsInput(path: "/v/in.mp4"), .writeFailed(path: "/v/in.mp4", reason: "full"),
            .codecNotSupportedByContainer(codec: "ffv1", container: "mp4", path: "/v/in.mp4"),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("/v/in.mp4: "), "\(error.description)")
        }
    }

    @Test func libtorchFailuresAreOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appendingPathComponent("text.pt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        #expect {
            try SegmentationModel(path: text)
        } throws: { error in
            guard case VideoSegError.model(let path, let message) = error else { return false }
            return path == text && message.hasPrefix("not a TorchScript file") && !message.contains("\n")
        }
        #expect {
            try SegmentationModel(path: folder.appendingPathComponent("absent.pt").path)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message == "no such model file"
        }
        // A TorchScript compile error from the bridge: one line, no source excerpt or backtrace.
        #expect {
            try SegmentationModel.define(source: "def forward(self, x):\n    return undefined_name(x)\n", metadata: nil,
                                         path: folder.appendingPathComponent("broken.pt").path)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message.contains("undefined_name") && !message.contains("\n")
        }
    }
}
