/// Class colours: the PASCAL VOC colour map, so masks look familiar in any VOC tool.
public enum ColorMap {
    /// The VOC colour of class `id`: the bits of the id interleaved into the high bits of R, G, B.
    public static func vocColor(_ id: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        var r = 0, g = 0, b = 0
        var c = id
        for bit in 0..<8 {
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        }
        return (UInt8(r), UInt8(g), UInt8(b))
    }

    /// Colours for `count` classes: `custom` entries where given, VOC colours elsewhere.
    public static func colors(count: Int, custom: [[UInt8]]? = nil) -> [(r: UInt8, g: UInt8, b: UInt8)] {
        (0..<count).map { id in
            if let custom, id < custom.count, custom[id].count == 3 {
                return (custom[id][0], custom[id][1], custom[id][2])
            }
            return vocColor(id)
        }
    }
}
