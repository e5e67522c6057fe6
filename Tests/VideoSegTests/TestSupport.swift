import Foundation

@testable import VideoSegCore
@testable import VideoSegModel
@testable import VideoSegRender

// Helpers shared by the unit tests: threads for the blocking queue, an ordered event log, a
// temporary directory that cleans up after itself, and a one-call way to draw on a plane.

/// Runs `body` on a new Foundation `Thread` (never Swift concurrency's pool: the bodies block) and
/// returns a semaphore that is signalled once `body` has returned.
func spawnThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        body()
        done.signal()
    }
    thread.start()
    return done
}

/// Waits at most `seconds` for `semaphore`; true when it was signalled in time.
func signalled(_ semaphore: DispatchSemaphore, within seconds: Double) -> Bool {
    semaphore.wait(timeout: .now() + seconds) == .success
}

/// An append-only list of events written by several threads, in the order they happened.
final class EventLog: Sendable {
    private let storage = Locked<[String]>([])

    func append(_ event: String) {
        storage.withLock { $0.append(event) }
    }

    var events: [String] { storage.current }
}

/// A fresh directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// The path of `name` inside the directory.
    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A segmentation of `classMap` (`width`×`height` cells), with one-hot scores so that the class
/// between cells is decided as the interpolated argmax; `foreground` (and a matching tint for
/// `colors`) when given.
func segmentation(classMap: [UInt8], width: Int, height: Int, foreground: [Float]? = nil,
                  colors: [(r: UInt8, g: UInt8, b: UInt8)] = []) -> Segmentation
{
    let cells = width * height
    let classCount = Int(classMap.max() ?? 0) + 1
    let classes = BufferPool<UInt8>(count: cells, census: nil).obtain()
    classes.baseAddress.update(from: classMap, count: cells)
    let scores = BufferPool<Float>(count: classCount * cells, census: nil).obtain()
    scores.baseAddress.update(repeating: 0, count: classCount * cells)
    for (cell, id) in classMap.enumerated() { scores.baseAddress[Int(id) * cells + cell] = 1 }
    var foregroundBuffer: PooledBuffer<Float>?
    var tint: PooledBuffer<Float>?
    if let foreground, let color = colors.first {
        foregroundBuffer = BufferPool<Float>(count: cells, census: nil).obtain()
        foregroundBuffer!.baseAddress.update(from: foreground, count: cells)
        tint = BufferPool<Float>(count: 3 * cells, census: nil).obtain()
        for cell in 0..<cells {
            tint!.baseAddress[cell] = Float(color.r) * foreground[cell]
            tint!.baseAddress[cells + cell] = Float(color.g) * foreground[cell]
            tint!.baseAddress[2 * cells + cell] = Float(color.b) * foreground[cell]
        }
    }
    return Segmentation(width: width, height: height, classCount: classCount, classes: classes, scores: scores,
                        foreground: foregroundBuffer, tint: tint)
}

/// Draws `plane` of a `width`×`height` picture stored in `pixels` (`stride` bytes a row) with
/// `renderer`, reading `segmentation` through `sampler`, and returns the bytes afterwards.
func rendered(_ renderer: OverlayRenderer, plane: Int, pixels: [UInt8], stride: Int, width: Int, height: Int,
              segmentation: Segmentation, sampler: BilinearSampler) -> [UInt8]
{
    var tables = OverlayRenderer.CellTables()
    renderer.fill(&tables, from: segmentation)
    var result = pixels
    result.withUnsafeMutableBufferPointer { buffer in
        renderer.render(plane: plane, pixels: buffer.baseAddress!, stride: stride, width: width, height: height,
                        segmentation: segmentation, sampler: sampler, tables: tables)
    }
    return result
}

/// Draws with the class map `classMap` (the map `sampler` reads), hard edges.
func rendered(_ renderer: OverlayRenderer, plane: Int, pixels: [UInt8], stride: Int, width: Int, height: Int,
              classMap: [UInt8], sampler: BilinearSampler) -> [UInt8]
{
    rendered(renderer, plane: plane, pixels: pixels, stride: stride, width: width, height: height,
             segmentation: segmentation(classMap: classMap, width: sampler.mapWidth, height: sampler.mapHeight), sampler: sampler)
}

/// The class ids a sampler reads for every stored pixel, row by row (one-hot scores: the
/// interpolated argmax).
func sampledClasses(_ sampler: BilinearSampler, classMap: [UInt8], width: Int, height: Int) -> [[UInt8]] {
    let map = segmentation(classMap: classMap, width: sampler.mapWidth, height: sampler.mapHeight)
    return (0..<height).map { y in (0..<width).map { x in map.classAt(row: sampler.rows[y], column: sampler.columns[x], sampler: sampler) } }
}

/// The repository root (…/Tests/VideoSegTests/TestSupport.swift → …).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A ZIP archive of uncompressed entries, as PyTorch's stream reader expects, built by hand so
/// a test can make a TorchScript-shaped file with any `version` record.
func storedZip(_ entries: [(name: String, data: [UInt8])]) -> [UInt8] {
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
    func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
    func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    var archive: [UInt8] = [], central: [UInt8] = []
    for entry in entries {
        let name = Array(entry.name.utf8)
        let crc = crc32(entry.data), size = UInt32(entry.data.count)
        let offset = UInt32(archive.count)
        archive += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
        archive += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(0) + name + entry.data
        central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
        central += le32(crc) + le32(size) + le32(size) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0)
        central += le32(0) + le32(offset) + name
    }
    let centralOffset = UInt32(archive.count)
    archive += central
    archive += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
    archive += le32(UInt32(central.count)) + le32(centralOffset) + le16(0)
    return archive
}
