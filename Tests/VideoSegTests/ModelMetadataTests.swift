import Foundation
import Testing

@testable import VideoSeg

@Suite struct ModelMetadataTests {
    @Test func parsesEveryField() throws {
        let json = #"{"labels": ["bg", "person"], "mean": [0.1, 0.2, 0.3], "std": [1, 2, 4], "input_size": [256, 144], "fixed_input_size": true, "colors": [[0,0,0],[255,0,7]]}"#
        let metadata = try ModelMetadata(json: Data(json.utf8), source: "m.json")
        #expect(metadata.labels == ["bg", "person"])
        #expect(metadata.mean == [0.1, 0.2, 0.3])
        #expect(metadata.std == [1, 2, 4])
        #expect(metadata.inputSize == .fixed(width: 256, height: 144))
        #expect(metadata.fixedInputSize == true)
        #expect(metadata.colors == [[0, 0, 0], [255, 0, 7]])
        #expect(try ModelMetadata(json: Data(#"{"input_size": 320}"#.utf8), source: "x").inputSize == .shortSide(320))
        let roundTrip = try ModelMetadata(json: Data(metadata.jsonText().utf8), source: "again")
        #expect(roundTrip == metadata)
    }

    @Test(arguments: [
        (#"{"labels": [1, 2]}"#, "labels"), (#"{"mean": [0.5, 0.5]}"#, "mean"), (#"{"std": [1, 0, 1]}"#, "std"),
        (#"{"input_size": "big"}"#, "input_size"), (#"[1, 2]"#, "JSON object"), ("not json", "not valid JSON"),
    ])
    func rejectsBadFields(json: String, mention: String) {
        #expect {
            try ModelMetadata(json: Data(json.utf8), source: "bad.json")
        } throws: { error in
            guard let error = error as? VideoSegError, case .modelMetadata(let path, let message) = error else { return false }
            return path == "bad.json" && message.contains(mention)
        }
    }

    @Test func defaultsAreTheTutorialModel() {
        let (metadata, sources) = SegmentationModel.resolveMetadata(embedded: nil, sidecar: nil, overrides: ModelMetadata())
        #expect(metadata.labels?.count == 21)
        #expect(metadata.labels?[15] == "person")
        #expect(metadata.mean == [0.485, 0.456, 0.406])
        #expect(metadata.std == [0.229, 0.224, 0.225])
        #expect(sources.count == 1)
    }

    @Test func precedenceIsDefaultsEmbeddedSidecarCommandLine() {
        let embedded = ModelMetadata(labels: ["e1", "e2"], mean: [0, 0, 0], inputSize: .shortSide(100))
        let sidecar = ModelMetadata(mean: [0.5, 0.5, 0.5], inputSize: .fixed(width: 64, height: 32))
        let cli = ModelMetadata(inputSize: .shortSide(77))
        let (metadata, sources) = SegmentationModel.resolveMetadata(embedded: embedded, sidecar: sidecar, overrides: cli)
        #expect(metadata.labels == ["e1", "e2"])  // only embedded sets labels
        #expect(metadata.mean == [0.5, 0.5, 0.5])  // sidecar beats embedded
        #expect(metadata.std == [0.229, 0.224, 0.225])  // nobody sets std: default
        #expect(metadata.inputSize == .shortSide(77))  // command line beats all
        #expect(sources.count == 4)
    }
}

@Suite struct InputSizeTests {
    @Test func parsing() {
        #expect(InputSize(parsing: "400") == .shortSide(400))
        #expect(InputSize(parsing: "320x240") == .fixed(width: 320, height: 240))
        #expect(InputSize(parsing: "320X240") == .fixed(width: 320, height: 240))
        for bad in ["0", "x", "-1", "320x", "ax2", ""] { #expect(InputSize(parsing: bad) == nil, "\(bad)") }
    }

    @Test func shortSideKeepsAspect() {
        #expect(InputSize.shortSide(400).resolved(forUprightWidth: 1280, height: 720) == (711, 400))
        #expect(InputSize.shortSide(400).resolved(forUprightWidth: 720, height: 1280) == (400, 711))
        #expect(InputSize.fixed(width: 256, height: 144).resolved(forUprightWidth: 720, height: 1280) == (256, 144))
    }
}
