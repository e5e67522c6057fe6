import Foundation
import VideoSegCore

/// What VideoSeg needs to know about a model beyond its weights. Every field is optional so that
/// the sources (embedded `videoseg.json`, a sidecar `MODEL.json`, CLI options) can be merged
/// field by field, the stronger source winning.
public struct ModelMetadata: Equatable, Sendable {
    /// Class names; the index is the class id.
    public var labels: [String]?
    /// Per-channel mean, applied to RGB in [0,1].
    public var mean: [Float]?
    /// Per-channel standard deviation, applied to RGB in [0,1].
    public var std: [Float]?
    /// The input size the model expects.
    public var inputSize: InputSize?
    /// Whether the model works only at `inputSize` (then `--input-size` is refused).
    public var fixedInputSize: Bool?
    /// Optional RGB colours per class; the PASCAL VOC colour map is used where absent.
    public var colors: [[UInt8]]?
    /// What the model's scores are: logits (softmax gives probabilities; the default) or
    /// probabilities already.
    public var scores: ScoreKind?

    /// What a model's output scores are.
    public enum ScoreKind: String, Sendable, CaseIterable {
        /// Unnormalised: probabilities are their softmax over the classes.
        case logits
        /// Probabilities already (they sum to 1 over the classes).
        case probabilities
    }

    /// Creates metadata with the given fields.
    public init(labels: [String]? = nil, mean: [Float]? = nil, std: [Float]? = nil, inputSize: InputSize? = nil,
                fixedInputSize: Bool? = nil, colors: [[UInt8]]? = nil, scores: ScoreKind? = nil) {
        self.labels = labels
        self.mean = mean
        self.std = std
        self.inputSize = inputSize
        self.fixedInputSize = fixedInputSize
        self.colors = colors
        self.scores = scores
    }

    /// The 21 PASCAL VOC classes that torchvision's DeepLabV3 (and the PyTorch tutorial) use.
    public static let vocLabels = [
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]

    /// What a file with no metadata is taken to be: the tutorial's `deeplabv3_scripted.pt`.
    public static let tutorialDefaults = ModelMetadata(
        labels: vocLabels, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: .shortSide(400),
        fixedInputSize: false)

    /// Fields of `stronger` replace those of `self`.
    public func overridden(by stronger: ModelMetadata) -> ModelMetadata {
        ModelMetadata(
            labels: stronger.labels ?? labels, mean: stronger.mean ?? mean, std: stronger.std ?? std,
            inputSize: stronger.inputSize ?? inputSize, fixedInputSize: stronger.fixedInputSize ?? fixedInputSize,
            colors: stronger.colors ?? colors, scores: stronger.scores ?? scores)
    }

    /// Whether no field is set.
    public var isEmpty: Bool { self == ModelMetadata() }

    /// Parses the `videoseg.json` format:
    /// `{"labels": [...], "mean": [r,g,b], "std": [r,g,b], "input_size": [W,H] | N, "fixed_input_size": bool,
    ///   "colors": [[r,g,b], ...], "scores": "logits" | "probabilities"}`. `source` names where the text came from, for errors.
    public init(json: Data, source: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw VideoSegError.modelMetadata(path: source, message: "not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw VideoSegError.modelMetadata(path: source, message: "expected a JSON object")
        }
        func floats(_ key: String) throws -> [Float]? {
            guard let value = dictionary[key] else { return nil }
            guard let numbers = value as? [NSNumber], numbers.count == 3, numbers.allSatisfy(JSONValue.isNumber) else {
                throw VideoSegError.modelMetadata(path: source, message: "\"\(key)\" must be three numbers")
            }
            return numbers.map { $0.floatValue }
        }
        self.init()
        if let value = dictionary["labels"] {
            guard let names = value as? [String], !names.isEmpty else {
                throw VideoSegError.modelMetadata(path: source, message: "\"labels\" must be a non-empty list of strings")
            }
            labels = names
        }
        mean = try floats("mean")
        std = try floats("std")
        if let stdValues = std, stdValues.contains(where: { $0 <= 0 }) {
            throw VideoSegError.modelMetadata(path: source, message: "\"std\" values must be positive")
        }
        if let value = dictionary["input_size"] {
            if let numbers = value as? [NSNumber], numbers.count == 2, numbers.allSatisfy(JSONValue.isPositiveInteger) {
                inputSize = .fixed(width: numbers[0].intValue, height: numbers[1].intValue)
            } else if let number = value as? NSNumber, JSONValue.isPositiveInteger(number) {
                inputSize = .shortSide(number.intValue)
            } else {
                throw VideoSegError.modelMetadata(path: source, message: "\"input_size\" must be [W,H] or a short-side length")
            }
        }
        if let value = dictionary["fixed_input_size"] {
            guard let number = value as? NSNumber, JSONValue.isBoolean(number) else {
                throw VideoSegError.modelMetadata(path: source, message: "\"fixed_input_size\" must be true or false")
            }
            fixedInputSize = number.boolValue
        }
        if let value = dictionary["colors"] {
            guard let rows = value as? [[NSNumber]],
                  rows.allSatisfy({ $0.count == 3 && $0.allSatisfy { JSONValue.isInteger($0) && (0...255).contains($0.intValue) } })
            else {
                throw VideoSegError.modelMetadata(path: source, message: "\"colors\" must be a list of [r,g,b] with values 0 to 255")
            }
            colors = rows.map { $0.map { UInt8($0.intValue) } }
        }
        if let value = dictionary["scores"] {
            guard let text = value as? String, let kind = ScoreKind(rawValue: text) else {
                throw VideoSegError.modelMetadata(path: source, message: "\"scores\" must be \"logits\" or \"probabilities\"")
            }
            scores = kind
        }
    }

    /// The `videoseg.json` text for these fields.
    public func jsonText() -> String {
        var dictionary: [String: Any] = [:]
        if let labels { dictionary["labels"] = labels }
        if let mean { dictionary["mean"] = mean.map { Double($0) } }
        if let std { dictionary["std"] = std.map { Double($0) } }
        switch inputSize {
        case .fixed(let w, let h): dictionary["input_size"] = [w, h]
        case .shortSide(let n): dictionary["input_size"] = n
        case nil: break
        }
        if let fixedInputSize { dictionary["fixed_input_size"] = fixedInputSize }
        if let colors { dictionary["colors"] = colors.map { $0.map { Int($0) } } }
        if let scores { dictionary["scores"] = scores.rawValue }
        let data = (try? JSONSerialization.data(withJSONObject: dictionary, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Foundation hands JSON numbers and booleans over as NSNumber alike; the Objective-C type code
/// tells them apart ("c" for a boolean, "d"/"f" for a fraction), so `true` is not taken for 1.
enum JSONValue {
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    package static func isNumber(_ number: NSNumber) -> Bool {
        !isBoolean(number)
    }

    static func isInteger(_ number: NSNumber) -> Bool {
        guard isNumber(number) else { return false }
        let value = number.doubleValue
        return value.rounded() == value
    }

    static func isPositiveInteger(_ number: NSNumber) -> Bool {
        isInteger(number) && number.doubleValue >= 1
    }
}
