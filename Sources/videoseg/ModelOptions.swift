import ArgumentParser
import VideoSeg

/// The model and the metadata a user can set on the command line (strongest source).
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("TorchScript model file. Default: the bundled person segmentation (MediaPipe selfie), the variant nearer the video's aspect.", valueName: "path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Class names, comma-separated, index = class id (overrides the model's).", valueName: "names"))
    var labels: String?

    @Option(name: .long, help: ArgumentHelp("Per-channel mean of RGB in [0,1], e.g. 0.485,0.456,0.406.", valueName: "r,g,b"))
    var mean: String?

    @Option(name: .long, help: ArgumentHelp("Per-channel standard deviation, e.g. 0.229,0.224,0.225.", valueName: "r,g,b"))
    var std: String?

    @Option(name: .long, help: ArgumentHelp("Model input size: WxH, or N for the short side (aspect kept). Default: the model's, else 400.", valueName: "size"))
    var inputSize: String?

    @Option(name: .long, help: "What the model outputs: logits (probabilities are their softmax) or probabilities (overrides the model's).")
    var scores: ModelMetadata.ScoreKind?

    @Option(name: .long, help: "The graph to run: measure (time the frozen graph against the one optimised for inference and keep the faster), frozen, or optimized.")
    var prepare: GraphPreparation = .measure

    /// Refuses malformed values here, so ArgumentParser reports them as usage errors (exit 64)
    /// before anything is opened.
    func validate() throws {
        _ = try ModelOptions.inputSize(inputSize)
        _ = try overrides()
    }

    /// The `--input-size` value, parsed (validate() has refused a malformed one).
    func parsedInputSize() throws -> InputSize? {
        try ModelOptions.inputSize(inputSize)
    }

    /// Parses an `--input-size` value: `WxH` or `N`, all positive.
    static func inputSize(_ text: String?) throws -> InputSize? {
        guard let text else { return nil }
        guard let size = InputSize(parsing: text) else {
            throw ValidationError("--input-size: \"\(text)\" is not WxH or a positive number")
        }
        return size
    }

    func overrides() throws -> ModelMetadata {
        var metadata = ModelMetadata()
        if let labels {
            metadata.labels = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        metadata.mean = try triple(mean, option: "--mean")
        metadata.std = try triple(std, option: "--std")
        metadata.scores = scores
        if let values = metadata.std, values.contains(where: { $0 <= 0 }) {
            throw ValidationError("--std: values must be positive")
        }
        return metadata
    }

    /// Three finite numbers: NaN or infinity would turn every input, and so every score, into NaN.
    private func triple(_ text: String?, option: String) throws -> [Float]? {
        guard let text else { return nil }
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("\(option): expected three numbers, got \"\(text)\"")
        }
        let numbers = values.compactMap { $0 }
        guard numbers.allSatisfy(\.isFinite) else { throw ValidationError("\(option): values must be finite numbers, got \"\(text)\"") }
        return numbers
    }
}

import Foundation

extension ModelMetadata.ScoreKind: ExpressibleByArgument {}
extension GraphPreparation: ExpressibleByArgument {}
