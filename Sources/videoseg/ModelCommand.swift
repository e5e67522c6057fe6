import ArgumentParser
import Foundation
import VideoSeg

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Inspect models.", subcommands: [ModelInfoCommand.self])
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's labels, input size and normalisation; with --image, run one picture through it.")

    @Argument(help: "TorchScript model file. Default: both bundled models.")
    var modelFile: String?

    @Option(name: .long, help: ArgumentHelp("A picture (or video) to run through the model.", valueName: "file"))
    var image: String?

    @Option(name: .long, help: ArgumentHelp("Model input size: WxH, or N for the short side.", valueName: "size"))
    var inputSize: String?

    @Option(name: .long, help: "libtorch threads.")
    var threads: Int = SegmentConfiguration.defaultThreads

    func validate() throws {
        _ = try ModelOptions.inputSize(inputSize)
        try ResourceLimits.checkThreads(threads)
    }

    func run() throws {
        // FFmpeg's and libtorch's own messages (an unreadable --image) stay out of the output:
        // the one-line error says what failed.
        CommandLineLog.bootstrap(verbose: false)
        do {
            if let modelFile {
                try describe(modelFile)
            } else {
                for (index, name) in [DefaultModels.square, DefaultModels.landscape].enumerated() {
                    if index > 0 { print("") }
                    try describe(try DefaultModels.path(named: name))
                }
            }
        } catch {
            throw ExitStatus.report(error)
        }
    }

    private func describe(_ modelFile: String) throws {
        let model = try SegmentationModel(path: modelFile)
        model.threads = threads
        let metadata = model.metadata
        print("model: \(modelFile)")
        print("metadata: \(model.metadataSources.joined(separator: " < "))")
        print("labels (\(model.labels.count)): \(model.labels.joined(separator: ", "))")
        let fixed = metadata.fixedInputSize == true ? " (fixed: the model works only at this size)" : ""
        print("input size: \(metadata.inputSize.map { "\($0)" } ?? "400 (short side)")\(fixed)")
        print("mean: \(format(metadata.mean ?? [0, 0, 0]))  std: \(format(metadata.std ?? [1, 1, 1]))")
        guard let image else { return }
        let result = try ModelInspection.inspect(model: model, imagePath: image, inputSize: try ModelOptions.inputSize(inputSize))
        print("input shape: \(result.inputShape)")
        print("output shape: \(result.outputShape)")
        print("first values: \(result.firstValues.map { String(format: "%.6g", $0) }.joined(separator: " "))")
        let classes = result.classFractions.sorted { $0.value > $1.value }.map { id, fraction in
            "\(id < model.labels.count ? model.labels[id] : String(id)) \(String(format: "%.1f%%", fraction * 100))"
        }
        print("classes: \(classes.joined(separator: ", "))")
    }

    private func format(_ values: [Float]) -> String {
        "[" + values.map { String(format: "%.4g", $0) }.joined(separator: ", ") + "]"
    }
}
