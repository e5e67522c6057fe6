/// Blurs one plane in place with three passes of a box filter across and three down (close to a
/// Gaussian of the same reach), with running sums: the cost does not grow with the radius.
/// Edges repeat the border sample.
enum PlaneBlur {
    static func blur(_ plane: PlaneView, width: Int, height: Int, radius: Int, sixteenBit: Bool) {
        guard radius > 0, width > 1 || height > 1 else { return }
        var line = [Int32](repeating: 0, count: max(width, height))
        var result = [Int32](repeating: 0, count: max(width, height))
        for _ in 0..<3 {
            for y in 0..<height {
                let row = plane.pixels + y * plane.stride
                load(row, step: sixteenBit ? 2 : 1, count: width, sixteenBit: sixteenBit, into: &line)
                box(line, count: width, radius: radius, into: &result)
                store(result, row, step: sixteenBit ? 2 : 1, count: width, sixteenBit: sixteenBit)
            }
            for x in 0..<width {
                let column = plane.pixels + x * (sixteenBit ? 2 : 1)
                load(column, step: plane.stride, count: height, sixteenBit: sixteenBit, into: &line)
                box(line, count: height, radius: radius, into: &result)
                store(result, column, step: plane.stride, count: height, sixteenBit: sixteenBit)
            }
        }
    }

    private static func load(_ start: UnsafeMutableRawPointer, step: Int, count: Int, sixteenBit: Bool, into line: inout [Int32]) {
        for index in 0..<count {
            let sample = start + index * step
            line[index] = sixteenBit ? Int32(sample.load(as: UInt16.self)) : Int32(sample.load(as: UInt8.self))
        }
    }

    private static func store(_ line: [Int32], _ start: UnsafeMutableRawPointer, step: Int, count: Int, sixteenBit: Bool) {
        for index in 0..<count {
            let sample = start + index * step
            if sixteenBit { sample.storeBytes(of: UInt16(truncatingIfNeeded: line[index]), as: UInt16.self) } else {
                sample.storeBytes(of: UInt8(truncatingIfNeeded: line[index]), as: UInt8.self)
            }
        }
    }

    /// The mean of each sample's 2·radius + 1 neighbours, rounded.
    private static func box(_ line: [Int32], count: Int, radius: Int, into result: inout [Int32]) {
        let span = Int32(2 * radius + 1)
        var sum: Int32 = 0
        for offset in -radius...radius { sum += line[min(count - 1, max(0, offset))] }
        for index in 0..<count {
            result[index] = (sum + span / 2) / span
            sum += line[min(count - 1, index + radius + 1)] - line[max(0, index - radius)]
        }
    }
}
