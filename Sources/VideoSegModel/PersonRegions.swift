/// The separate people (foreground regions) of one frame's class map, at the model's resolution.
///
/// A semantic model says which cells are "person", not whose: people are told apart as the
/// connected regions of the foreground cells, where cells up to `joinGap` cells apart count as
/// touching, so that a hand the model cut off at the wrist stays with its arm. Regions smaller
/// than `minimumCells` are specks, not people: nobody is chosen by them, and their cells go to
/// the person within `reach`, if any.
///
/// Every cell within `reach` cells of a person (foreground or not) belongs to the nearest one's
/// zone: what is kept of a chosen person is their zone, so the soft edge around them (the
/// probability falling from 1 to 0 over a cell or two) stays whole.
package struct PersonRegions: Sendable {
    /// One person: their foreground cells' count, centre and bounding box, in cells.
    package struct Region: Sendable, Equatable {
        package var cells: Int
        package var centerX: Double
        package var centerY: Double
        package var minX: Int
        package var minY: Int
        package var maxX: Int
        package var maxY: Int

        /// The squared distance from the centre to (`x`, `y`).
        package func squaredDistance(x: Double, y: Double) -> Double {
            (centerX - x) * (centerX - x) + (centerY - y) * (centerY - y)
        }
    }

    /// What counts as apart and as too small.
    package struct Rules: Sendable, Equatable {
        /// Foreground cells this many cells apart (or fewer) belong to one person.
        package var joinGap = 1
        /// Smaller regions are not people (nor those under a thousandth of the map).
        package var minimumCells = 12
        /// How far around a person their zone reaches.
        package var reach = 3

        package init(joinGap: Int = 1, minimumCells: Int = 12, reach: Int = 3) {
            self.joinGap = joinGap
            self.minimumCells = minimumCells
            self.reach = reach
        }
    }

    /// No person here.
    package static let nobody: Int32 = -1

    package let width: Int
    package let height: Int
    /// The people, largest first (ties: the one whose first cell comes first).
    package private(set) var regions: [Region] = []
    /// Per cell: the person whose foreground it is, or `nobody`.
    package private(set) var owner: [Int32]
    /// Per cell: the person whose zone it lies in, or `nobody`.
    package private(set) var zone: [Int32]

    /// Separates the people of `classes` (`width`×`height` cells), `isForeground` saying which
    /// class ids are people.
    package init(classes: UnsafePointer<UInt8>, width: Int, height: Int, isForeground: [Bool], rules: Rules = Rules()) {
        self.width = width
        self.height = height
        let count = width * height
        owner = [Int32](repeating: PersonRegions.nobody, count: count)
        zone = owner
        var roots = JoinedCells(classes: classes, width: width, height: height, isForeground: isForeground, gap: rules.joinGap)
        // Specks are judged against the map's size too: a thousandth of it is no person.
        let minimumCells = max(rules.minimumCells, count / 1000)
        let labelled = PersonRegions.label(&roots, count: count, width: width, minimumCells: minimumCells)
        regions = labelled.regions
        for cell in 0..<count where labelled.index[cell] >= 0 { owner[cell] = labelled.index[cell] }
        zone = PersonRegions.zones(of: owner, width: width, height: height, reach: rules.reach)
    }

    /// The person at cell (`x`, `y`): the one whose zone holds it, or `nobody`.
    package func person(atX x: Int, y: Int) -> Int32 {
        guard x >= 0, y >= 0, x < width, y < height else { return PersonRegions.nobody }
        return zone[y * width + x]
    }

    /// The person whose zone holds the point (`x`, `y`) (in cells: cell `i` spans `i`…`i + 1`),
    /// else the one whose centre is nearest it. There must be somebody.
    package func nearest(x: Double, y: Double) -> Int {
        let under = person(atX: Int(x.rounded(.down)), y: Int(y.rounded(.down)))
        if under != PersonRegions.nobody { return Int(under) }
        let (cx, cy) = (x - 0.5, y - 0.5)
        return regions.indices.min { regions[$0].squaredDistance(x: cx, y: cy) < regions[$1].squaredDistance(x: cx, y: cy) }!
    }

    /// Regions from the joined cells: each root's cells counted and measured, the specks left
    /// out, the rest numbered largest first. Flat arrays indexed by root cell, not dictionaries:
    /// this runs on every frame.
    private static func label(_ roots: inout JoinedCells, count: Int, width: Int, minimumCells: Int) -> (regions: [Region], index: [Int32]) {
        var slotOfRoot = [Int32](repeating: nobody, count: count)
        var found = [Region]()
        var rootOfCell = [Int32](repeating: nobody, count: count)
        for cell in 0..<count where roots.isForeground(cell) {
            let root = roots.find(cell)
            rootOfCell[cell] = Int32(root)
            let x = cell % width, y = cell / width
            let slot = Int(slotOfRoot[root])
            if slot >= 0 {
                found[slot].cells += 1
                found[slot].centerX += Double(x)
                found[slot].centerY += Double(y)
                found[slot].minX = min(found[slot].minX, x); found[slot].maxX = max(found[slot].maxX, x)
                found[slot].minY = min(found[slot].minY, y); found[slot].maxY = max(found[slot].maxY, y)
            } else {
                slotOfRoot[root] = Int32(found.count)
                found.append(Region(cells: 1, centerX: Double(x), centerY: Double(y), minX: x, minY: y, maxX: x, maxY: y))
            }
        }
        // Largest first; among equals, the one found first (whose first cell comes first).
        let order = found.indices.filter { found[$0].cells >= minimumCells }
            .sorted { found[$0].cells != found[$1].cells ? found[$0].cells > found[$1].cells : $0 < $1 }
        var numberOfSlot = [Int32](repeating: nobody, count: found.count)
        var regions = [Region]()
        for (number, slot) in order.enumerated() {
            numberOfSlot[slot] = Int32(number)
            var region = found[slot]
            region.centerX /= Double(region.cells)
            region.centerY /= Double(region.cells)
            regions.append(region)
        }
        var index = [Int32](repeating: nobody, count: count)
        for cell in 0..<count where rootOfCell[cell] >= 0 {
            index[cell] = numberOfSlot[Int(slotOfRoot[Int(rootOfCell[cell])])]
        }
        return (regions, index)
    }

    /// Each cell within `reach` steps (8-neighbour) of a person's cell, given to the nearest;
    /// a tie goes to the person reached first in cell order, so the zones never depend on timing.
    private static func zones(of owner: [Int32], width: Int, height: Int, reach: Int) -> [Int32] {
        var zone = owner
        var frontier = owner.indices.filter { owner[$0] != nobody }
        for _ in 0..<reach {
            var next = [Int]()
            for cell in frontier {
                let x = cell % width, y = cell / width
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let neighbour = ny * width + nx
                        if zone[neighbour] == nobody {
                            zone[neighbour] = zone[cell]
                            next.append(neighbour)
                        }
                    }
                }
            }
            frontier = next
        }
        return zone
    }
}

/// Union-find over the foreground cells, joining cells within `gap` cells of each other.
private struct JoinedCells {
    private var parent: [Int]
    private let foreground: [Bool]

    init(classes: UnsafePointer<UInt8>, width: Int, height: Int, isForeground: [Bool], gap: Int) {
        let count = width * height
        foreground = (0..<count).map { cell in
            let id = Int(classes[cell])
            return id < isForeground.count && isForeground[id]
        }
        parent = Array(0..<count)
        let span = gap + 1
        for y in 0..<height {
            for x in 0..<width where foreground[y * width + x] {
                // Only neighbours after this cell in scan order: each pair is looked at once.
                for dy in 0...span {
                    for dx in -span...span where dy > 0 || dx > 0 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, nx < width, ny < height, foreground[ny * width + nx] else { continue }
                        union(y * width + x, ny * width + nx)
                    }
                }
            }
        }
    }

    func isForeground(_ cell: Int) -> Bool { foreground[cell] }

    mutating func find(_ cell: Int) -> Int {
        var root = cell
        while parent[root] != root { root = parent[root] }
        var walker = cell
        while parent[walker] != root {
            let next = parent[walker]
            parent[walker] = root
            walker = next
        }
        return root
    }

    private mutating func union(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}
