import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegPipeline
@testable import VideoSegRender

/// The library names settings in its own words; a front end shows its own names for them.
@Suite struct SettingMessageTests {
    @Test func aMessageKeepsItsSettingsForTheFrontEndToName() {
        let message: SettingMessage = "\(Setting.batchSize) \(4): live input runs one frame at a time; leave \(Setting.batchSize) out"
        #expect(message.description == "batch size 4: live input runs one frame at a time; leave batch size out")
        #expect(message.rendered { "--\($0.rawValue.replacingOccurrences(of: " ", with: "-"))" }
            == "--batch-size 4: live input runs one frame at a time; leave --batch-size out")
    }

    @Test func errorsNameSettingsThroughTheFrontEnd() {
        let error = VideoSegError.outputExists(path: "out.mp4")
        #expect(error.description == "out.mp4: output exists (pass overwrite to replace it)")
        #expect(error.description(naming: { _ in "--overwrite" }) == "out.mp4: output exists (pass --overwrite to replace it)")
        let missing = VideoSegError.defaultModelMissing(name: "m.pt", searched: ["/a", "/b"])
        #expect(missing.description(naming: { _ in "--model" })
            == "m.pt: bundled default model not found (looked in /a, /b); pass --model FILE or set VIDEOSEG_MODELS")
    }

    @Test func noLibraryRuleNamesAFlag() {
        var style = OverlayStyle(mode: .replace)
        #expect(style.problem?.description == "style replace needs background FILE or COLOR (e.g. #00B140)")
        style.background = "#00B140"
        #expect(style.problem == nil)
        style.mode = .blur
        #expect(style.problem?.description == "background goes with style replace")
        #expect(SegmentConfiguration.batchProblem(4, live: false) == nil)
        #expect(SegmentConfiguration.batchProblem(1, live: true) == nil)
        #expect(SegmentConfiguration.batchProblem(2, live: true) != nil)
    }
}
