import Foundation
import Testing

@testable import VideoSegModel

extension EndToEnd {
    /// A torchvision model we did not convert gets the graph PyTorch's recipe gives it
    /// (`optimize_for_inference(freeze(m))`) when asked for it, the bridge reports which graph
    /// runs and why (a measured choice follows the timings it names), and every graph gives
    /// PyTorch's class map.
    @Suite struct GraphPreparationChoice {
        @Test func lrasppRunsTheOptimizedGraphWithPyTorchsClasses() throws {
            let scratch = try Scratch()
            let modelPath = try cachedModel("lraspp_mobilenet_v3_large")
            let image = scratch.path("frame.png")
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", image])
            let (width, height) = (256, 256)
            // A narrow std spreads the inputs so that the random weights give several classes.
            let overrides = ModelMetadata(mean: [0.5, 0.5, 0.5], std: [0.05, 0.05, 0.05])
            var python: PythonParity.Scores?
            for graph in [GraphPreparation.frozen, .optimized, .measure] {
                let model = try SegmentationModel(path: modelPath, overrides: overrides)
                model.threads = 1
                model.graphPreparation = graph
                try model.prepare(width: width, height: height, cache: nil)
                let mkldnn = model.graphText.contains("prim::mkldnn_convolution")
                switch graph {
                case .frozen:
                    #expect(model.optimization == "frozen" && !mkldnn)
                    #expect(model.preparation == .requested)
                case .optimized:
                    #expect(model.optimization == "frozen + optimized for inference" && mkldnn)
                    #expect(model.preparationNote == "the optimized graph, not timed here")
                case .measure:
                    // Which graph wins is timed on this machine, so the test holds the choice to
                    // the timings the bridge reports: the optimised graph unless the frozen one
                    // was more than 10% faster (LRASPP's margin is small enough for load to flip).
                    #expect(model.preparation == .measured)
                    let note = model.preparationNote
                    let times = note.split(separator: " ").compactMap { Double($0) }
                    try #require(note.hasPrefix("measured: optimized ") && times.count >= 2, "\(note)")
                    // The bridge keeps the optimised graph unless it takes ≥ 1.1× the frozen one's
                    // time; the note's figures are rounded to 0.1 ms, so at the boundary only its
                    // verdict decides (a CI run saw 46.2 against 41.9: 1.103×, frozen).
                    let frozenWins = note.hasSuffix("the frozen graph is more than 10% faster")
                    #expect(frozenWins == (times[0] >= times[1] * 1.1) || abs(times[0] - times[1] * 1.1) < 0.15, "\(note)")
                    #expect(frozenWins ? model.optimization == "frozen" && !mkldnn
                                       : model.optimization == "frozen + optimized for inference" && mkldnn, "\(note)")
                }
                let tensor = try modelInput(image: image, model: model, width: width, height: height)
                if python == nil {
                    python = try PythonParity().pythonScores(model: modelPath, tensor: tensor, width: width, height: height,
                                                             scratch: scratch, bgr: false)
                    try #require(Set(python!.classMap()).count >= 3, "the input must give several classes")
                }
                var classes = [UInt8](repeating: 0, count: model.classMapCount)
                try tensor.withUnsafeBufferPointer { input in
                    try classes.withUnsafeMutableBufferPointer { try model.segment(input.baseAddress!, into: $0) }
                }
                #expect(classes.map(Int.init) == python!.classMap(), "\(graph): class map differs from PyTorch's")
            }
        }
    }
}
