import CFFmpeg
import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegMedia
@testable import VideoSegModel

@Suite struct ErrorMappingTests {
    // MARK: FFmpeg codes

    @Test func ffmpegMessagesForKnownCodes() {
        #expect(ffmpegErrorString(vs_averror_eof()) == "End of file")
        #expect(ffmpegErrorString(vs_averror_invaliddata()) == "Invalid data found when processing input")
        #expect(ffmpegErrorString(vs_averror_decoder_not_found()) == "Decoder not found")
        #expect(ffmpegErrorString(vs_averror_encoder_not_found()) == "Encoder not found")
        #expect(ffmpegErrorString(vs_averror(ENOENT)) == "No such file or directory")
        #expect(ffmpegErrorString(vs_averror(ENOSPC)) == "No space left on device")
        #expect(vs_averror(ENOSPC) == -ENOSPC)
    }

    @Test func checkFFmpegThrowsATypedErrorForNegativeCodes() {
        #expect(throws: VideoSegError.ffmpeg(path: "/in/a.mp4", operation: "writing the header", code: vs_averror(EFBIG),
                                             message: "File too large")) {
            try checkFFmpeg(vs_averror(EFBIG), path: "/in/a.mp4", operation: "writing the header")
        }
        #expect {
            try checkFFmpeg(vs_averror_eof(), path: "clip.mkv", operation: "reading a packet")
        } throws: { error in
            (error as? VideoSegError)?.description == "clip.mkv: reading a packet failed: End of file"
        }
    }

    @Test func checkFFmpegPassesNonNegativeCodesThrough() throws {
        #expect(try checkFFmpeg(0, path: "a", operation: "x") == 0)
        #expect(try checkFFmpeg(5, path: "a", operation: "x") == 5)
    }

    // MARK: Descriptions

    @Test func everyErrorWithAPathIsOneLineThatNamesIt() {
        let path = "/videos/my clip.mp4"
        let errors: [VideoSegError] = [
            .inputNotFound(path: path), .notAVideo(path: path, reason: "no video stream"),
            .ffmpeg(path: path, operation: "decoding", code: -1, message: "Operation not permitted"),
            .model(path: path, message: "bad"), .modelMetadata(path: path, message: "\"std\" values must be positive"),
            .outputExists(path: path), .outputIsInput(path: path), .outputNotWritable(path: path, reason: "read-only"),
            .writeFailed(path: path, reason: "No space left on device"),
            .codecNotSupportedByContainer(codec: "ffv1", container: "mp4", path: path),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"), "\(error)")
            #expect(error.description.contains(path), "\(error)")
            #expect(error.description.count > path.count + 2, "\(error)")
        }
    }

    @Test func exactDescriptions() {
        #expect(VideoSegError.inputNotFound(path: "in.mp4").description == "in.mp4: no such file")
        // The library names the setting in its words; a front end names it its own way.
        #expect(VideoSegError.outputExists(path: "out.mp4").description == "out.mp4: output exists (pass overwrite to replace it)")
        #expect(VideoSegError.outputExists(path: "out.mp4").description(naming: { "--\($0.rawValue)" })
            == "out.mp4: output exists (pass --overwrite to replace it)")
        #expect(VideoSegError.codecNotSupportedByContainer(codec: "ffv1", container: "mp4", path: "o.mp4").description
            == "o.mp4: the mp4 container cannot hold ffv1 video")
        #expect(VideoSegError.unknownCodec(name: "h265x").description.hasPrefix("h265x: unknown encoder"))
        #expect(VideoSegError.invalidOption("--alpha must be between 0 and 1").description == "--alpha must be between 0 and 1")
    }

    // MARK: libtorch failures

    @Test func aTextFileIsNotATorchScriptFile() throws {
        let folder = try TemporaryDirectory()
        let text = try folder.write("this is not a model\n", to: "text.pt")
        #expect {
            try SegmentationModel(path: text)
        } throws: { error in
            guard case VideoSegError.model(let path, let message) = error else { return false }
            return path == text && message.hasPrefix("not a TorchScript file") && !message.contains("\n")
                && (error as! VideoSegError).description.hasPrefix("\(text): not a TorchScript file")
        }
    }

    @Test func aMissingModelFile() throws {
        let folder = try TemporaryDirectory()
        let missing = folder.path("absent.pt")
        #expect(throws: VideoSegError.model(path: missing, message: "no such model file")) {
            try SegmentationModel(path: missing)
        }
    }

    @Test func aDirectoryIsRefusedOnOneLine() throws {
        let folder = try TemporaryDirectory()
        #expect {
            try SegmentationModel(path: folder.url.path)
        } throws: { error in
            guard case VideoSegError.model(let path, let message) = error else { return false }
            return path == folder.url.path && !message.isEmpty && !message.contains("\n")
        }
    }

    @Test func aTorchScriptCompileErrorIsOneLine() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("broken.pt")
        #expect {
            try SegmentationModel.define(source: "def forward(self, x):\n    return undefined_name(x)\n", metadata: nil, path: path)
        } throws: { error in
            guard case VideoSegError.model(let errorPath, let message) = error else { return false }
            return errorPath == path && message.contains("undefined_name") && !message.contains("\n")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// A TorchScript archive whose format version is newer than libtorch 1.13 reads.
    @Test func aFileFromANewerPyTorchSaysHowToReExport() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("newer.pt")
        let zip = storedZip([(name: "newer/version", data: Array("99\n".utf8)), (name: "newer/data.pkl", data: [0x80, 0x02, 0x2E])])
        try Data(zip).write(to: URL(fileURLWithPath: path))
        #expect {
            try SegmentationModel(path: path)
        } throws: { error in
            guard case VideoSegError.model(_, let message) = error else { return false }
            return message.contains("newer PyTorch") && message.contains("re-export") && !message.contains("\n")
        }
    }

    @Test func loadFailureExplanations() {
        #expect(SegmentationModel.explainLoadFailure("PytorchStreamReader failed reading zip archive: failed finding central directory")
            == "not a TorchScript file (PytorchStreamReader failed reading zip archive: failed finding central directory)")
        #expect(SegmentationModel.explainLoadFailure("something else") == "cannot load TorchScript model: something else")
        let newer = SegmentationModel.explainLoadFailure(
            "Attempted to read a PyTorch file with version 99, but the maximum supported version for reading is 10.")
        #expect(newer.hasPrefix("this TorchScript file was written by a newer PyTorch than libtorch 1.13 can read"))
    }

    /// The re-export advice must name a script that exists in the repository.
    @Test func theReExportAdviceNamesAScriptThatExists() throws {
        let advice = SegmentationModel.explainLoadFailure("unsupported version")
        let script = try #require(advice.split(separator: " ").first { $0.hasPrefix("Models/") && $0.hasSuffix(".py") })
        #expect(FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(String(script)).path), "\(script)")
    }

    /// A Foundation file error is one line, "PATH: CAUSE", never the NSError dump.
    @Test func aFoundationFileErrorIsOneLine() {
        do {
            try FileManager.default.createDirectory(atPath: "/proc/self/videoseg-test/sub", withIntermediateDirectories: true)
            Issue.record("a folder was made under /proc")
        } catch {
            let line = ErrorLine.describe(error)
            #expect(line.hasPrefix("/proc/self/videoseg-test") && !line.contains("Domain") && !line.contains("\n"), "\(line)")
        }
        #expect(ErrorLine.describe(VideoSegError.inputNotFound(path: "x.mp4")) == VideoSegError.inputNotFound(path: "x.mp4").description)
        #expect(ErrorLine.cause(of: POSIXError(.EROFS)) == "Read-only file system")
        struct OwnError: Error, CustomStringConvertible { var description: String { "a message of its own" } }
        #expect(ErrorLine.describe(OwnError()) == "a message of its own")
    }
}
