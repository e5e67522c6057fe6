import Foundation

/// ffprobe's view of a file: an independent check of what VideoSeg wrote.
struct Probe {
    struct Packet: Equatable {
        var pts: Int64?
        var ptsTime: Double?
        var hash: String?
    }

    struct Stream {
        var index: Int
        var codecType: String
        var codecName: String
        var width: Int?
        var height: Int?
        var pixelFormat: String?
        var timeBase: String
        var rotation: Int?
        var colorSpace: String?
        var sampleAspectRatio: String?
    }

    let streams: [Stream]

    init(_ path: String) throws {
        let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", path])
        guard result.status == 0 else { throw HarnessError.tool("ffprobe \(path): \(result.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        streams = (json["streams"] as? [[String: Any]] ?? []).map { stream in
            var rotation: Int?
            for side in stream["side_data_list"] as? [[String: Any]] ?? [] {
                if let value = side["rotation"] as? Int { rotation = value }
            }
            if rotation == nil, let tags = stream["tags"] as? [String: Any], let value = tags["rotate"] as? String {
                rotation = Int(value)
            }
            return Stream(
                index: stream["index"] as? Int ?? -1, codecType: stream["codec_type"] as? String ?? "",
                codecName: stream["codec_name"] as? String ?? "", width: stream["width"] as? Int, height: stream["height"] as? Int,
                pixelFormat: stream["pix_fmt"] as? String, timeBase: stream["time_base"] as? String ?? "", rotation: rotation,
                colorSpace: stream["color_space"] as? String, sampleAspectRatio: stream["sample_aspect_ratio"] as? String)
        }
    }

    var video: Stream? { streams.first { $0.codecType == "video" } }
    var audio: Stream? { streams.first { $0.codecType == "audio" } }

    /// Packets of the first stream of `type` ("v" or "a"), in file order.
    static func packets(_ path: String, stream type: String, hashes: Bool = false) throws -> [Packet] {
        var arguments = ["-v", "error", "-select_streams", "\(type):0", "-show_entries", "packet=pts,pts_time" + (hashes ? ",data_hash" : ""),
                         "-print_format", "json"]
        if hashes { arguments += ["-show_data_hash", "MD5"] }
        let result = try runProcess("/usr/bin/ffprobe", arguments + [path])
        guard result.status == 0 else { throw HarnessError.tool("ffprobe \(path): \(result.stderr)") }
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (json["packets"] as? [[String: Any]] ?? []).map { packet in
            Packet(pts: (packet["pts"] as? NSNumber)?.int64Value, ptsTime: Double(packet["pts_time"] as? String ?? ""),
                   hash: packet["data_hash"] as? String)
        }
    }

    /// Presentation times of the decoded video frames, in seconds, sorted.
    static func frameTimes(_ path: String) throws -> [Double] {
        let result = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                                         "-print_format", "csv=p=0", path])
        guard result.status == 0 else { throw HarnessError.tool("ffprobe \(path): \(result.stderr)") }
        // Lines may carry side-data fields after a comma; the time is the first field.
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ",", omittingEmptySubsequences: false).first.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }.sorted()
    }

    /// The number of video frames that decode.
    static func decodedFrameCount(_ path: String) throws -> Int {
        try frameTimes(path).count
    }

    /// Every decoded video frame as raw planar bytes in `pixelFormat` (e.g. yuv444p).
    static func rawFrames(_ path: String, pixelFormat: String) throws -> Data {
        let raw = FileManager.default.temporaryDirectory.appendingPathComponent("videoseg-raw-\(UUID().uuidString).raw")
        defer { try? FileManager.default.removeItem(at: raw) }
        // Every decoded frame once: a variable-rate input must not be padded to a constant rate.
        try ffmpeg(["-i", path, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pixelFormat, raw.path])
        return try Data(contentsOf: raw)
    }
}
