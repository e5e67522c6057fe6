import Foundation
import Testing

@testable import VideoSegCore
@testable import VideoSegModel

@Suite struct ModelMetadataTests {
    static func parse(_ json: String, source: String = "m.json") throws -> ModelMetadata {
        try ModelMetadata(json: Data(json.utf8), source: source)
    }

    // MARK: Parsing

    @Test func parsesEveryField() throws {
        let metadata = try Self.parse(#"""
            {"labels": ["bg", "person"], "mean": [0.1, 0.2, 0.3], "std": [1, 2, 4], "input_size": [256, 144],
             "fixed_input_size": true, "colors": [[0, 0, 0], [255, 0, 7]]}
            """#)
        #expect(metadata.labels == ["bg", "person"])
        #expect(metadata.mean == [0.1, 0.2, 0.3])
        #expect(metadata.std == [1, 2, 4])
        #expect(metadata.inputSize == .fixed(width: 256, height: 144))
        #expect(metadata.fixedInputSize == true)
        #expect(metadata.colors == [[0, 0, 0], [255, 0, 7]])
    }

    @Test func shortSideInputSizeAndFalseFlag() throws {
        let metadata = try Self.parse(#"{"input_size": 320, "fixed_input_size": false}"#)
        #expect(metadata.inputSize == .shortSide(320))
        #expect(metadata.fixedInputSize == false)
        #expect(metadata.labels == nil && metadata.mean == nil && metadata.std == nil && metadata.colors == nil)
    }

    @Test func missingFieldsStayUnsetAndUnknownKeysAreIgnored() throws {
        let metadata = try Self.parse(#"{"comment": "hello", "version": 3}"#)
        #expect(metadata == ModelMetadata())
        #expect(metadata.isEmpty)
        #expect(try Self.parse("{}").isEmpty)
        #expect(!ModelMetadata(labels: ["a"]).isEmpty)
    }

    @Test(arguments: [
        (#"{"labels": [1, 2]}"#, "\"labels\""), (#"{"labels": ["a", 2]}"#, "\"labels\""), (#"{"labels": []}"#, "\"labels\""),
        (#"{"labels": "person"}"#, "\"labels\""),
        (#"{"mean": [0.5, 0.5]}"#, "\"mean\" must be three numbers"), (#"{"mean": [0.1, 0.2, 0.3, 0.4]}"#, "\"mean\""),
        (#"{"mean": ["a", "b", "c"]}"#, "\"mean\""), (#"{"mean": 0.5}"#, "\"mean\""),
        (#"{"std": [1, -0.5, 1]}"#, "\"std\" values must be positive"), (#"{"std": [1, 0, 1]}"#, "\"std\" values must be positive"),
        (#"{"std": [1, 1]}"#, "\"std\" must be three numbers"),
        (#"{"input_size": "big"}"#, "\"input_size\""), (#"{"input_size": [0, 240]}"#, "\"input_size\""),
        (#"{"input_size": [320]}"#, "\"input_size\""), (#"{"input_size": [320, 240, 3]}"#, "\"input_size\""),
        (#"{"input_size": -5}"#, "\"input_size\""), (#"{"input_size": 0}"#, "\"input_size\""),
        (#"{"fixed_input_size": "yes"}"#, "\"fixed_input_size\""),
        (#"{"colors": [[1, 2]]}"#, "\"colors\""), (#"{"colors": [1, 2, 3]}"#, "\"colors\""),
        (#"[1, 2]"#, "expected a JSON object"), ("not json", "not valid JSON"), ("", "not valid JSON"),
    ])
    func rejectsABadField(json: String, mention: String) {
        #expect {
            try Self.parse(json, source: "bad.json")
        } throws: { error in
            guard case VideoSegError.modelMetadata(let path, let message) = error else { return false }
            return path == "bad.json" && message.contains(mention)
        }
    }

    @Test func errorDescriptionNamesTheSource() {
        #expect {
            try Self.parse(#"{"std": [1, -1, 1]}"#, source: "/models/seg.json")
        } throws: { error in
            (error as? VideoSegError)?.description == "/models/seg.json: bad model metadata: \"std\" values must be positive"
        }
    }

    @Test func jsonTextRoundTrips() throws {
        let metadata = ModelMetadata(labels: ["bg", "cat"], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
                                     inputSize: .fixed(width: 520, height: 520), fixedInputSize: true,
                                     colors: [[0, 0, 0], [1, 2, 3]])
        #expect(try Self.parse(metadata.jsonText()) == metadata)
        let shortSide = ModelMetadata(inputSize: .shortSide(300))
        #expect(shortSide.jsonText() == #"{"input_size":300}"#)
        #expect(try Self.parse(shortSide.jsonText()) == shortSide)
        #expect(ModelMetadata().jsonText() == "{}")
    }

    // MARK: Defaults and precedence

    @Test func defaultsAreTheTutorialModel() {
        let defaults = ModelMetadata.tutorialDefaults
        #expect(defaults.labels == [
            "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
            "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
        ])
        #expect(defaults.mean == [0.485, 0.456, 0.406])
        #expect(defaults.std == [0.229, 0.224, 0.225])
        #expect(defaults.inputSize == .shortSide(400))
        #expect(defaults.fixedInputSize == false)
        #expect(defaults.colors == nil)

        let (resolved, sources) = SegmentationModel.resolveMetadata(embedded: nil, sidecar: nil, overrides: ModelMetadata())
        #expect(resolved == defaults)
        #expect(sources.count == 1)
        #expect(sources[0].hasPrefix("defaults"))
    }

    @Test func strongerFieldsReplaceWeakerOnesOneByOne() {
        let weak = ModelMetadata(labels: ["a"], mean: [0, 0, 0], std: [1, 1, 1], inputSize: .shortSide(10),
                                 fixedInputSize: false, colors: [[1, 1, 1]])
        let strong = ModelMetadata(std: [2, 2, 2], fixedInputSize: true)
        #expect(weak.overridden(by: strong) == ModelMetadata(
            labels: ["a"], mean: [0, 0, 0], std: [2, 2, 2], inputSize: .shortSide(10), fixedInputSize: true, colors: [[1, 1, 1]]))
        #expect(weak.overridden(by: ModelMetadata()) == weak)
        #expect(ModelMetadata().overridden(by: weak) == weak)
    }

    @Test func precedenceIsDefaultsEmbeddedSidecarCommandLineFieldByField() {
        let embedded = ModelMetadata(labels: ["e0", "e1"], mean: [0.1, 0.1, 0.1], std: [0.5, 0.5, 0.5],
                                     inputSize: .shortSide(100), fixedInputSize: true, colors: [[1, 1, 1]])
        let sidecar = ModelMetadata(mean: [0.2, 0.2, 0.2], inputSize: .fixed(width: 64, height: 32), colors: [[2, 2, 2]])
        let cli = ModelMetadata(inputSize: .shortSide(77))
        let (metadata, sources) = SegmentationModel.resolveMetadata(embedded: embedded, sidecar: sidecar, overrides: cli)
        #expect(metadata.labels == ["e0", "e1"])  // embedded only
        #expect(metadata.mean == [0.2, 0.2, 0.2])  // sidecar beats embedded
        #expect(metadata.std == [0.5, 0.5, 0.5])  // embedded beats defaults
        #expect(metadata.inputSize == .shortSide(77))  // command line beats all
        #expect(metadata.fixedInputSize == true)  // embedded beats defaults
        #expect(metadata.colors == [[2, 2, 2]])  // sidecar beats embedded
        #expect(sources.count == 4)
        #expect(sources[1].contains("embedded") && sources[2].contains("sidecar") && sources[3].contains("command line"))
    }

    @Test func aLayerThatSetsNothingIsNotASource() {
        let sidecar = ModelMetadata(std: [0.3, 0.3, 0.3])
        let (metadata, sources) = SegmentationModel.resolveMetadata(embedded: ModelMetadata(), sidecar: sidecar,
                                                                    overrides: ModelMetadata(labels: ["x", "y"]))
        #expect(metadata.labels == ["x", "y"])
        #expect(metadata.mean == [0.485, 0.456, 0.406])  // default
        #expect(metadata.std == [0.3, 0.3, 0.3])
        #expect(metadata.inputSize == .shortSide(400))  // default
        #expect(sources.count == 3)
        #expect(!sources.contains { $0.contains("embedded") })
    }

    @Test func sidecarPathIsTheModelPathWithAJSONExtension() {
        #expect(SegmentationModel.sidecarPath(for: "/models/deeplab.pt") == "/models/deeplab.json")
        #expect(SegmentationModel.sidecarPath(for: "/models/v1.2/seg") == "/models/v1.2/seg.json")
    }

    // MARK: Through a real TorchScript file

    @Test func loadingMergesEmbeddedSidecarAndOverrides() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("seg.pt")
        try SegmentationModel.define(
            source: "def forward(self, x):\n    return x\n",
            metadata: ModelMetadata(labels: ["r", "g", "b"], mean: [0.1, 0.1, 0.1], inputSize: .shortSide(100)), path: path)
        try folder.write(#"{"mean": [0.2, 0.2, 0.2], "std": [0.5, 0.5, 0.5], "input_size": 200}"#, to: "seg.json")
        let model = try SegmentationModel(path: path, overrides: ModelMetadata(inputSize: .fixed(width: 8, height: 6)))
        #expect(model.metadata.labels == ["r", "g", "b"])
        #expect(model.labels == ["r", "g", "b"])
        #expect(model.metadata.mean == [0.2, 0.2, 0.2])
        #expect(model.metadata.std == [0.5, 0.5, 0.5])
        #expect(model.metadata.inputSize == .fixed(width: 8, height: 6))
        #expect(model.metadata.fixedInputSize == false)
        #expect(model.metadataSources.count == 4)
        #expect(model.path == path)
    }

    @Test func aFileWithoutMetadataGetsTheDefaults() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("plain.pt")
        try SegmentationModel.define(source: "def forward(self, x):\n    return x\n", metadata: nil, path: path)
        let model = try SegmentationModel(path: path)
        #expect(model.metadata == ModelMetadata.tutorialDefaults)
        #expect(model.labels.count == 21)
        #expect(model.metadataSources.count == 1)
    }

    @Test func aBadSidecarIsReportedWithItsPath() throws {
        let folder = try TemporaryDirectory()
        let path = folder.path("seg.pt")
        try SegmentationModel.define(source: "def forward(self, x):\n    return x\n", metadata: nil, path: path)
        let sidecar = try folder.write(#"{"labels": [1, 2, 3]}"#, to: "seg.json")
        #expect {
            try SegmentationModel(path: path)
        } throws: { error in
            guard case VideoSegError.modelMetadata(let source, let message) = error else { return false }
            return source == sidecar && message.contains("\"labels\"")
        }
    }
}

@Suite struct ModelMetadataTypeTests {
    /// JSON booleans and fractions are not integers, and colours do not wrap or clamp.
    @Test(arguments: [#"{"input_size": true}"#, #"{"input_size": 320.7}"#, #"{"fixed_input_size": 1}"#,
                      #"{"colors": [[300, -5, 0]]}"#, #"{"mean": [true, false, true]}"#, #"{"input_size": [256.5, 144]}"#])
    func rejectsWrongTypes(json: String) {
        #expect(throws: VideoSegError.self) { try ModelMetadata(json: Data(json.utf8), source: "m.json") }
    }

    @Test func acceptsWholeNumbersWrittenAsFractions() throws {
        let metadata = try ModelMetadata(json: Data(#"{"input_size": [256.0, 144], "fixed_input_size": false}"#.utf8), source: "m.json")
        #expect(metadata.inputSize == .fixed(width: 256, height: 144))
        #expect(metadata.fixedInputSize == false)
    }
}
