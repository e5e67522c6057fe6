import Foundation
import VideoSegCore

/// Where a model's metadata comes from, and which source wins.
extension SegmentationModel {
    /// `model.pt` → `model.json`.
    public static func sidecarPath(for modelPath: String) -> String {
        let url = URL(fileURLWithPath: modelPath)
        return url.deletingPathExtension().appendingPathExtension("json").path
    }

    /// Merges the metadata sources field by field in the design's order of precedence: the
    /// tutorial defaults (what a file with no metadata is taken to be), then the embedded
    /// `videoseg.json`, then the sidecar `MODEL.json`, then the CLI, each stronger than the last.
    public static func resolveMetadata(embedded: ModelMetadata?, sidecar: ModelMetadata?, overrides: ModelMetadata)
        -> (ModelMetadata, [String])
    {
        var result = ModelMetadata.tutorialDefaults
        var sources = ["defaults (PASCAL VOC, ImageNet mean/std)"]
        if let embedded, !embedded.isEmpty {
            result = result.overridden(by: embedded)
            sources.append("embedded videoseg.json")
        }
        if let sidecar, !sidecar.isEmpty {
            result = result.overridden(by: sidecar)
            sources.append("sidecar JSON")
        }
        if !overrides.isEmpty {
            result = result.overridden(by: overrides)
            sources.append("command line")
        }
        return (result, sources)
    }
}
