import Foundation
import VideoSegCore
import VideoSegMedia
import VideoSegModel
import VideoSegRender

/// Writes one class-index mask per frame into a folder, with `labels.json` and a
/// `manifest.jsonl` line per mask. Each mask is written under a temporary name and renamed, and
/// its manifest line follows the rename, so an interrupted run leaves only complete masks and a
/// manifest that lists exactly those. Used by the mask stage's thread only.
package final class MaskWriter: @unchecked Sendable {
    // @unchecked: FFmpeg encoders (PNG, FFV1) used by the mask stage thread, finished after it is joined.
    package let settings: MaskExportSettings
    private let directory: URL
    private let labels: [String]
    private let colors: [(r: UInt8, g: UInt8, b: UInt8)]
    private let timeBase: Rational
    private let width: Int
    private let height: Int
    private let sampler: BilinearSampler?
    private let mapWidth: Int
    private var scaled: [UInt8]
    /// Refines masks at the source's size on the frame's edges (`edges refined`).
    private let guide: MaskGuide?
    /// Which classes are the foreground (the tinted ones), the side of the refined edge they are on.
    private let tinted: [Bool]
    /// Which samples of the last refined class mask were foreground (empty before the first):
    /// a sample changes side only when the refined weight clears one half by `hysteresis`, so
    /// the weight's small frame-to-frame noise on a still edge does not flip its classes.
    private var lastForeground: [Bool] = []
    /// How far past one half the refined weight must go to move a sample across the boundary.
    static let hysteresis: Float = 0.1
    private let manifest: FileHandle
    private var pngEncoder: MaskPNGEncoder?
    private var maskVideo: MaskVideoWriter?
    package private(set) var masksWritten = 0
    /// Live input: masks are numbered by processed frame and the manifest adds the capture
    /// frame number, so drops show as gaps there.
    private let recordsCaptureFrame: Bool

    /// The files VideoSeg writes into a mask folder; `--overwrite` removes only these.
    static func isOwnFile(_ name: String) -> Bool {
        if ["labels.json", "manifest.jsonl", "masks.mkv", lockName].contains(name) { return true }
        let parts = name.split(separator: ".")
        return parts.count == 2 && parts[0].allSatisfy(\.isNumber) && ["png", "npy"].contains(String(parts[1]))
            || name.hasPrefix(".") && name.hasSuffix(".partial")
    }

    /// Prepares the folder. `mapWidth`×`mapHeight` is the model's (upright) class map; the
    /// source's upright size is `sourceWidth`×`sourceHeight`.
    package init(settings: MaskExportSettings, labels: [String], colors: [(r: UInt8, g: UInt8, b: UInt8)], mapWidth: Int, mapHeight: Int,
         sourceWidth: Int, sourceHeight: Int, timeBase: Rational, frameRate: Rational, recordsCaptureFrame: Bool = false,
         refineOn orientation: Orientation? = nil, tinted: [Bool] = []) throws
    {
        guide = orientation.map { MaskGuide(orientation: $0) }
        self.tinted = tinted
        self.recordsCaptureFrame = recordsCaptureFrame
        self.settings = settings
        self.labels = labels
        self.colors = colors
        self.timeBase = timeBase
        self.mapWidth = mapWidth
        directory = URL(fileURLWithPath: settings.directory)
        switch settings.size {
        case .model:
            (width, height) = (mapWidth, mapHeight)
            sampler = nil
        case .source:
            (width, height) = (sourceWidth, sourceHeight)
            sampler = BilinearSampler(frameWidth: sourceWidth, frameHeight: sourceHeight, orientation: .upright,
                                      mapWidth: mapWidth, mapHeight: mapHeight)
        }
        scaled = [UInt8](repeating: 0, count: width * height)
        (createdDirectory, lock) = try MaskWriter.prepareDirectory(directory, overwrite: settings.overwrite)
        try AtomicFile.write(MaskWriter.labelsJSON(labels: labels, colors: colors),
                             to: directory.appendingPathComponent("labels.json").path, durable: false)
        let manifestURL = directory.appendingPathComponent("manifest.jsonl")
        guard FileManager.default.createFile(atPath: manifestURL.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: manifestURL)
        else {
            throw VideoSegError.outputNotWritable(path: manifestURL.path, reason: SettingMessage(String(cString: strerror(errno))))
        }
        manifest = handle
        switch settings.format {
        case .png:
            pngEncoder = try MaskPNGEncoder(width: width, height: height, colors: settings.values == .classes ? colors : nil,
                                               path: settings.directory)
        case .npy:
            break
        case .video:
            maskVideo = try MaskVideoWriter(path: directory.appendingPathComponent("masks.mkv").path, width: width, height: height,
                                            timeBase: timeBase, frameRate: frameRate)
        }
    }

    /// Whether this writer made the folder (then `discard` removes it again).
    private var createdDirectory = false
    /// Held while this writer writes the folder: a second run cannot write into it at the same
    /// time, and a lock file left unlocked says a run was killed there.
    private var lock: RunLock?
    static let lockName = ".videoseg-lock"

    /// Makes the folder ready and locks it; says whether it had to be created.
    private static func prepareDirectory(_ directory: URL, overwrite: Bool) throws -> (created: Bool, lock: RunLock) {
        let manager = FileManager.default
        let lockPath = directory.appendingPathComponent(MaskWriter.lockName).path
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            do {
                try manager.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw VideoSegError.outputNotWritable(path: directory.path, reason: "cannot create the folder: \(ErrorLine.cause(of: error))")
            }
            return (true, try RunLock(path: lockPath, output: directory.path))
        }
        guard isDirectory.boolValue else {
            throw VideoSegError.outputNotWritable(path: directory.path, reason: "exists and is not a folder")
        }
        // Lock before looking: the files of a run that is still writing are not ours to judge.
        let held = try RunLock(path: lockPath, output: directory.path)
        let names = try manager.contentsOfDirectory(atPath: directory.path).filter { $0 != MaskWriter.lockName }
        if !names.isEmpty {
            guard overwrite else {
                let killed = held.foundStale ? "; a run that was killed left files here" : ""
                if !held.foundStale { unlink(lockPath) }
                held.release()
                throw VideoSegError.outputNotWritable(path: directory.path, reason: "folder is not empty (pass \(Setting.overwrite) to replace its masks\(killed))")
            }
            for name in names where MaskWriter.isOwnFile(name) {
                try? manager.removeItem(at: directory.appendingPathComponent(name))
            }
        }
        return (false, held)
    }

    /// Releases the lock and removes its file: the folder is complete, or left as it was.
    private func discardLock() {
        guard let lock else { return }
        unlink(directory.appendingPathComponent(MaskWriter.lockName).path)
        lock.release()
        self.lock = nil
    }

    static func labelsJSON(labels: [String], colors: [(r: UInt8, g: UInt8, b: UInt8)]) -> Data {
        // One class a line: easy to read and to diff.
        let lines: [String] = labels.enumerated().map { id, name in
            let color = id < colors.count ? colors[id] : ColorMap.vocColor(id)
            let entry: [String: Any] = ["id": id, "name": name, "color": [Int(color.r), Int(color.g), Int(color.b)]]
            let data = (try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return "  " + String(decoding: data, as: UTF8.self)
        }
        return Data(("[\n" + lines.joined(separator: ",\n") + "\n]\n").utf8)
    }


    /// The class-id mask of `segmentation` at the export size, its foreground boundary moved
    /// onto the edges of `frame` when masks are refined: a sample is a tinted class where the
    /// refined foreground weight is at least 0.5 (the most probable tinted class there), else the
    /// most probable other class (after the first frame, a sample stays on its last side until
    /// the weight clears one half by `hysteresis`). Without refinement it is the argmax of the
    /// interpolated scores.
    func classMask(_ segmentation: Segmentation, frame: DecodedFrame?) throws -> [UInt8] {
        guard let guide, let frame, let sampler, segmentation.foreground != nil, tinted.contains(true) else { return classMask(segmentation) }
        _ = classMask(segmentation) // the argmax, left in `scaled`
        let probabilities = try guide.refine(segmentation, sampler: sampler, frame: frame)
        let tinted = self.tinted
        func isTinted(_ id: Int) -> Bool { id < tinted.count && tinted[id] }
        let first = lastForeground.isEmpty
        var last = first ? [Bool](repeating: false, count: width * height) : []
        if !first { swap(&last, &lastForeground) }
        defer { swap(&last, &lastForeground) }
        scaled.withUnsafeMutableBufferPointer { output in
            for y in 0..<height {
                let tap = sampler.rows[y]
                for x in 0..<width {
                    let index = y * width + x, id = Int(output[index])
                    let threshold: Float = first ? 0.5 : last[index] ? 0.5 - MaskWriter.hysteresis : 0.5 + MaskWriter.hysteresis
                    let foreground = probabilities[index] >= threshold
                    last[index] = foreground
                    guard isTinted(id) != foreground else { continue }
                    output[index] = segmentation.classAt(row: tap, column: sampler.columns[x], sampler: sampler,
                                                         among: { isTinted($0) == foreground }) ?? output[index]
                }
            }
        }
        return scaled
    }

    /// The class-id mask of `segmentation` at the export size: the argmax of the interpolated scores.
    func classMask(_ segmentation: Segmentation) -> [UInt8] {
        guard let sampler else {
            return Array(UnsafeBufferPointer(start: segmentation.classes.baseAddress, count: width * height))
        }
        scaled.withUnsafeMutableBufferPointer { output in
            sampler.columns.withUnsafeBufferPointer { columns in
                for y in 0..<height {
                    let tap = sampler.rows[y]
                    let target = output.baseAddress! + y * width
                    for x in 0..<width { target[x] = segmentation.classAt(row: tap, column: columns[x], sampler: sampler) }
                }
            }
        }
        return scaled
    }

    /// The foreground probability of `segmentation` at the export size, row by row.
    func probabilityMask(_ segmentation: Segmentation) -> [Float] {
        guard let sampler else {
            guard let foreground = segmentation.foreground else { return [Float](repeating: 0, count: width * height) }
            return Array(UnsafeBufferPointer(start: foreground.baseAddress, count: width * height))
        }
        var values = [Float](repeating: 0, count: width * height)
        values.withUnsafeMutableBufferPointer { output in
            sampler.columns.withUnsafeBufferPointer { columns in
                for y in 0..<height {
                    let tap = sampler.rows[y]
                    for x in 0..<width { output[y * width + x] = segmentation.foregroundAt(row: tap, column: columns[x], sampler: sampler) }
                }
            }
        }
        return values
    }

    /// Writes frame `index`'s mask and its manifest line (for a live input, `index` is the capture
    /// frame number and the mask is numbered by processed frame).
    package func write(index captureIndex: Int, pts: Int64, segmentation: Segmentation, frame: DecodedFrame? = nil) throws {
        let index = recordsCaptureFrame ? masksWritten : captureIndex
        var line: [String: Any] = ["frame": index, "pts": pts, "time_base": timeBase.description, "time": timeBase.seconds(pts)]
        let pixels: [UInt8]
        var npyData: Data?
        switch settings.values {
        case .classes:
            pixels = try classMask(segmentation, frame: frame)
            line["classes"] = MaskWriter.classFractions(pixels)
        case .probability:
            let probabilities: [Float]
            if let guide, let frame, let sampler {
                probabilities = try guide.refine(segmentation, sampler: sampler, frame: frame)
            } else {
                probabilities = probabilityMask(segmentation)
            }
            pixels = probabilities.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
            if settings.format == .npy { npyData = MaskWriter.npy(float16: probabilities, width: width, height: height) }
            let mean = probabilities.reduce(0, +) / Float(max(1, probabilities.count))
            line["foreground"] = (Double(mean) * 1e6).rounded() / 1e6
        }
        let name: String
        switch settings.format {
        case .png:
            name = String(format: "%06d.png", index)
            guard let pngEncoder else { preconditionFailure("PNG masks without a PNG encoder") }
            try AtomicFile.write(try pngEncoder.encode(pixels), to: directory.appendingPathComponent(name).path, durable: false)
        case .npy:
            name = String(format: "%06d.npy", index)
            try AtomicFile.write(npyData ?? MaskWriter.npy(pixels, width: width, height: height),
                                 to: directory.appendingPathComponent(name).path, durable: false)
        case .video:
            name = "masks.mkv"
            guard let maskVideo else { preconditionFailure("mask video without a writer") }
            try maskVideo.write(pixels, pts: pts)
        }
        line["file"] = name
        if recordsCaptureFrame { line["capture_frame"] = captureIndex }
        var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        do {
            try manifest.write(contentsOf: data)
        } catch {
            throw VideoSegError.writeFailed(path: directory.appendingPathComponent("manifest.jsonl").path, reason: "\(error.localizedDescription)")
        }
        masksWritten += 1
    }

    /// The share of the mask's pixels each class present has, by class id.
    package static func classFractions(_ pixels: [UInt8]) -> [String: Double] {
        var counts = [Int](repeating: 0, count: 256)
        for value in pixels { counts[Int(value)] += 1 }
        var fractions: [String: Double] = [:]
        for (id, count) in counts.enumerated() where count > 0 {
            fractions[String(id)] = (Double(count) / Double(pixels.count) * 1e6).rounded() / 1e6
        }
        return fractions
    }

    /// A NumPy .npy (format 1.0) holding a uint8 H×W array.
    package static func npy(_ pixels: [UInt8], width: Int, height: Int) -> Data {
        var data = npyHeader(descriptor: "|u1", width: width, height: height)
        data.append(contentsOf: pixels)
        return data
    }

    /// A NumPy .npy (format 1.0) holding a little-endian float16 H×W array.
    package static func npy(float16 values: [Float], width: Int, height: Int) -> Data {
        var data = npyHeader(descriptor: "<f2", width: width, height: height)
        let halves = values.map { Float16($0).bitPattern.littleEndian }
        halves.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    private static func npyHeader(descriptor: String, width: Int, height: Int) -> Data {
        var header = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': (\(height), \(width)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// Finalises the mask video, when there is one, and closes the manifest.
    package func finish() throws {
        defer { discardLock() }
        try maskVideo?.finish()
        maskVideo = nil
        try? manifest.close()
    }

    /// Removes what this writer wrote (no frame came): its files, and the folder if it made it.
    package func discard() {
        maskVideo?.abandon()
        maskVideo = nil
        try? manifest.close()
        discardLock()
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] where MaskWriter.isOwnFile(name) {
            try? manager.removeItem(at: directory.appendingPathComponent(name))
        }
        if createdDirectory, (try? manager.contentsOfDirectory(atPath: directory.path))?.isEmpty == true {
            try? manager.removeItem(at: directory)
        }
    }

    /// Gives up after an error: the mask video is finalised if it holds frames, else removed;
    /// PNG/NPY masks and the manifest are already consistent.
    package func abandon() {
        if let maskVideo, maskVideo.framesWritten > 0 { try? maskVideo.finish() } else { maskVideo?.abandon() }
        maskVideo = nil
        try? manifest.close()
        discardLock()
    }
}
