/// Follows every person from frame to frame at the model's resolution, so that one of them can
/// be kept while they turn, raise an arm, or pass someone.
///
/// A person's region in one frame is matched to the region of the next that shares most of its
/// cells (people move a few cells a frame at most). Two people who touch become one region: both
/// tracks ride on it, each moving on with the velocity it had alone, and when the region parts
/// again each takes the part nearest where it was heading (people walking past each other keep
/// their sides). A track that finds no region is kept for `memory` frames, and a region that
/// appears near where it was heading takes it back.
package struct PeopleTracker: Sendable {
    /// One person followed.
    package struct Track: Sendable, Equatable {
        package let id: Int
        /// Where they are (the centre of their region when alone; predicted while shared).
        package var centerX: Double
        package var centerY: Double
        /// Cells a frame, from their recent frames alone.
        package var velocityX = 0.0
        package var velocityY = 0.0
        /// Their size alone (kept while they share a region).
        package var cells: Int
        /// The region they are in this frame, or nil when nowhere.
        package var region: Int?
        /// Frames in a row without a region.
        package var missing = 0
    }

    /// Frames a track without a region is remembered.
    package var memory = 15
    /// The farthest (in cells) a reappearing person may be from where their track was heading.
    package var reconnectDistance = 12.0
    package private(set) var tracks: [Track] = []
    private var previousOwner: [Int32] = []
    private var previousCount = 0
    private var nextID = 0

    package init() {}

    /// The track with `id`, if it is still followed.
    package func track(_ id: Int) -> Track? { tracks.first { $0.id == id } }

    /// The ids of the tracks in region `region` this frame.
    package func tracks(in region: Int) -> [Int] { tracks.filter { $0.region == region }.map(\.id) }

    /// Matches this frame's people to the tracks.
    package mutating func update(with people: PersonRegions) {
        let overlaps = overlapCounts(people)
        var assigned = [Int: Int]()  // track index → region
        // Tracks grouped by the region they were in, so a region that parts can share them out.
        let groups = Dictionary(grouping: tracks.indices.filter { tracks[$0].region != nil }) { tracks[$0].region! }
        for previous in groups.keys.sorted() {
            let members = groups[previous]!
            let successors = (overlaps[previous] ?? [:]).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            guard let mostShared = successors.first else { continue }
            if members.count == 1 || successors.count == 1 {
                for member in members { assigned[member] = mostShared }
            } else {
                share(members, among: successors, of: people, into: &assigned)
            }
        }
        advance(assigned, people: people)
        reconnectOrStart(people)
        previousOwner = people.owner
        previousCount = people.regions.count
    }

    /// Cells shared between last frame's regions and this frame's: `[previous: [current: cells]]`,
    /// counted in one flat table (this runs on every frame).
    private func overlapCounts(_ people: PersonRegions) -> [Int: [Int: Int]] {
        guard previousOwner.count == people.owner.count, previousCount > 0, !people.regions.isEmpty else { return [:] }
        let columns = people.regions.count
        var table = [Int](repeating: 0, count: previousCount * columns)
        previousOwner.withUnsafeBufferPointer { before in
            people.owner.withUnsafeBufferPointer { now in
                for cell in 0..<before.count where before[cell] >= 0 && now[cell] >= 0 {
                    table[Int(before[cell]) * columns + Int(now[cell])] += 1
                }
            }
        }
        var counts = [Int: [Int: Int]]()
        for previous in 0..<previousCount {
            for current in 0..<columns where table[previous * columns + current] > 0 {
                counts[previous, default: [:]][current] = table[previous * columns + current]
            }
        }
        return counts
    }

    /// Tracks that shared a region which has parted: each to the part nearest where it was
    /// heading, closest pairs first, one track a part while parts last.
    private func share(_ members: [Int], among parts: [Int], of people: PersonRegions, into assigned: inout [Int: Int]) {
        var pairs = [(distance: Double, member: Int, part: Int)]()
        for member in members {
            let track = tracks[member]
            let (x, y) = (track.centerX + track.velocityX, track.centerY + track.velocityY)
            for part in parts { pairs.append((people.regions[part].squaredDistance(x: x, y: y), member, part)) }
        }
        pairs.sort { $0.distance != $1.distance ? $0.distance < $1.distance : ($0.member, $0.part) < ($1.member, $1.part) }
        var taken = Set<Int>()
        for pair in pairs where assigned[pair.member] == nil && !taken.contains(pair.part) {
            assigned[pair.member] = pair.part
            taken.insert(pair.part)
        }
        for member in members where assigned[member] == nil { assigned[member] = parts[0] }
    }

    /// Moves every track: alone in a region, to its centre; sharing, on by its velocity; without
    /// one, missing (and forgotten after `memory` frames).
    private mutating func advance(_ assigned: [Int: Int], people: PersonRegions) {
        let sharers = Dictionary(grouping: assigned.keys) { assigned[$0]! }
        for index in tracks.indices {
            guard let region = assigned[index] else {
                tracks[index].region = nil
                tracks[index].missing += 1
                tracks[index].centerX += tracks[index].velocityX
                tracks[index].centerY += tracks[index].velocityY
                continue
            }
            tracks[index].region = region
            tracks[index].missing = 0
            if sharers[region]!.count == 1 {
                let found = people.regions[region]
                // A little inertia: a region's centre jumps when an arm goes up.
                tracks[index].velocityX = 0.5 * tracks[index].velocityX + 0.5 * (found.centerX - tracks[index].centerX)
                tracks[index].velocityY = 0.5 * tracks[index].velocityY + 0.5 * (found.centerY - tracks[index].centerY)
                tracks[index].centerX = found.centerX
                tracks[index].centerY = found.centerY
                tracks[index].cells = found.cells
            } else {
                tracks[index].centerX += tracks[index].velocityX
                tracks[index].centerY += tracks[index].velocityY
            }
        }
        tracks.removeAll { $0.missing > memory }
    }

    /// Regions no track took: a missing track heading near takes it back, else a new track.
    private mutating func reconnectOrStart(_ people: PersonRegions) {
        let taken = Set(tracks.compactMap(\.region))
        for region in people.regions.indices where !taken.contains(region) {
            let found = people.regions[region]
            let limit = reconnectDistance * reconnectDistance
            let candidate = tracks.indices.filter { tracks[$0].region == nil }
                .map { (index: $0, distance: found.squaredDistance(x: tracks[$0].centerX, y: tracks[$0].centerY)) }
                .filter { $0.distance <= limit }
                .min { $0.distance < $1.distance }
            if let candidate {
                tracks[candidate.index].region = region
                tracks[candidate.index].missing = 0
                tracks[candidate.index].centerX = found.centerX
                tracks[candidate.index].centerY = found.centerY
                tracks[candidate.index].cells = found.cells
            } else {
                tracks.append(Track(id: nextID, centerX: found.centerX, centerY: found.centerY, cells: found.cells, region: region))
                nextID += 1
            }
        }
    }
}
