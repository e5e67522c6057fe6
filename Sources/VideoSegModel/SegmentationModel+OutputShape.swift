import VideoSegCore

extension SegmentationModel {
    /// What is wrong with an output of `shape` (`[N, C, H, W]`) at preparation, in words; nil
    /// when it is a usable score map. An output with no rows or columns would run and write empty
    /// masks.
    static func outputProblem(_ shape: [Int]) -> String? {
        guard shape.count == 4 else { return "its output has \(shape.count) dimensions, not [N, classes, height, width]" }
        if shape[1] < 1 { return "its output has no classes (shape \(shape))" }
        if shape[2] < 1 || shape[3] < 1 {
            return "its output has no pixels: \(shape[3])×\(shape[2]) (width×height, shape \(shape))"
        }
        return nil
    }

    /// The message for a frame whose output (`now`, `[N, C, H, W]`) differs in classes or size
    /// from the one the model was prepared with; nil when they agree (or the forward pass failed
    /// before it had an output).
    static func sizeChange(prepared: [Int], now: [Int]) -> String? {
        guard prepared.count == 4, now.count == 4, now[1] > 0 || now[2] > 0 || now[3] > 0 else { return nil }
        guard Array(now.dropFirst()) != Array(prepared.dropFirst()) else { return nil }
        return "the model's output size changed from \(prepared[1]) classes at \(prepared[3])×\(prepared[2]) to \(now[1]) classes "
            + "at \(now[3])×\(now[2]) (width×height) between frames; one input size must give one output size"
    }
}
