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

    func parsedInputSize() throws -> InputSize? {
        guard let inputSize else { return nil }
        guard let size = InputSize(parsing: inputSize) else {
            throw VideoSegError.invalidOption("--input-size: \"\(inputSize)\" is not WxH or a positive number")
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
            throw VideoSegError.invalidOption("--std: values must be positive")
        }
        return metadata
    }

    private func triple(_ text: String?, option: String) throws -> [Float]? {
        guard let text else { return nil }
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == 3 else { throw VideoSegError.invalidOption("\(option): expected three numbers, got \"\(text)\"") }
        return values
    }
}

import Foundation

extension ModelMetadata.ScoreKind: ExpressibleByArgument {}
