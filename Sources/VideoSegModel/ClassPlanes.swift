import Foundation
import VideoSegCore

/// The per-class loops of `ScoreRefiner` over score planes (`[C][cells]`, each class's plane
/// contiguous), eight cells at a time. They run on every cell × class of every frame: 21 classes
/// at 256×256 are 1.4 million values, where `expf`/`logf` a value and bounds-checked array
/// loops cost tens of milliseconds a frame, more than a small model's forward pass.
///
/// `exp` and `log` are Cephes' single-precision polynomials (about 1 ulp from glibc's `expf` and
/// `logf`), so the probabilities agree with PyTorch's softmax to float precision.
enum ClassPlanes {
    typealias Lanes = SIMD8<Float>

    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    @inline(__always) static func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lanes.self)
    }

    /// e^x lane by lane (Cephes expf); below −87.3 it is 0, where expf gives a denormal or 0.
    @inline(__always) static func exp(_ input: Lanes) -> Lanes {
        let x0 = input.clamped(-87.3, 88.3762626647949)
        // n = round(x0·log2 e), by the magic-number trick: adding 1.5·2²³ leaves the integer in
        // the low mantissa bits (the stdlib's generic SIMD rounding and Int32 conversion run lane
        // by lane, several times slower than all the rest).
        // 1.5·2²³ (bits 0x4B40_0000): a float this size has no fraction bits, so adding it rounds.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x0 * 1.44269504088896341 + magic
        let n = shifted - magic
        var x = x0 - n * 0.693359375
        x -= n * -2.12194440e-4
        let z = x * x
        var y = Lanes(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // 2ⁿ: n + 127 into the exponent field, straight from the shifted bits.
        let exponent = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- SIMD8<UInt32>(repeating: 0x4B40_0000 - 127)) &<< 23
        return (y * unsafeBitCast(exponent, to: Lanes.self)).replacing(with: 0, where: input .< -87.3)
    }

    /// ln x lane by lane for normal positive x (Cephes logf).
    @inline(__always) static func log(_ input: Lanes) -> Lanes {
        let bits = unsafeBitCast(input, to: SIMD8<UInt32>.self)
        // The exponent field as a float, through 2²³'s mantissa (no lane-by-lane conversion).
        var e = unsafeBitCast((bits &>> 23) | 0x4B00_0000, to: Lanes.self) - (8_388_608 + 126)
        // The mantissa as a number in [0.5, 1).
        let m = unsafeBitCast((bits & 0x807F_FFFF) | 0x3F00_0000, to: Lanes.self)
        let small = m .< 0.707106781186547524
        e = e.replacing(with: e - 1, where: small)
        let x = (m - 1).replacing(with: m + m - 1, where: small)
        let z = x * x
        var y = Lanes(repeating: 7.0376836292e-2)
        y = y * x - 1.1514610310e-1
        y = y * x + 1.1676998740e-1
        y = y * x - 1.2420140846e-1
        y = y * x + 1.4249322787e-1
        y = y * x - 1.6668057665e-1
        y = y * x + 2.0000714765e-1
        y = y * x - 2.4999993993e-1
        y = y * x + 3.3333331174e-1
        y = y * x * z
        y += e * -2.12194440e-4
        y -= z * 0.5
        return x + y + e * 0.693359375
    }

    /// Runs `body` on each group of eight cells, then on the last few cells one at a time (as
    /// lanes of which only the first counts), so every kernel has one code path. `body` is
    /// inlined with a constant lane count, so the groups of eight compile to packed operations.
    @inline(__always) static func forEachGroup(_ cells: Int, _ body: (Int, Int) -> Void) {
        var cell = 0
        while cell + 8 <= cells {
            body(cell, 8)
            cell += 8
        }
        while cell < cells {
            body(cell, 1)
            cell += 1
        }
    }

    @inline(__always) static func load(_ pointer: UnsafePointer<Float>, _ count: Int) -> Lanes {
        count == 8 ? load(pointer) : Lanes(repeating: pointer.pointee)
    }

    @inline(__always) static func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        if count == 8 { store(value, pointer) } else { pointer.pointee = value[0] }
    }

    /// Cells per tile: the tile of every class plane (21 × 256 floats, 21 KB) stays in the L1
    /// cache while a kernel sweeps it plane by plane, each plane read contiguously.
    static let tile = 256

    /// Runs `body(first, count, scratch)` over tiles of `cells`, with `lanes` × `tile` floats of
    /// scratch for the tile's per-cell values.
    @inline(__always) static func forEachTile(_ cells: Int, scratch lanes: Int,
                                              _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void)
    {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: lanes * tile) { scratch in
            var first = 0
            while first < cells {
                body(first, min(tile, cells - first), scratch.baseAddress!)
                first += tile
            }
        }
    }
}

extension SIMD8 where Scalar == Float {
    /// Each lane in [low, high] (the stdlib's `clamped` and `pointwiseMin`/`Max` stay calls in
    /// the inner loops; comparisons and selects inline).
    @inline(__always) func clamped(_ low: Float, _ high: Float) -> Self {
        let low = Self(repeating: low), high = Self(repeating: high)
        let above = replacing(with: high, where: self .> high)
        return above.replacing(with: low, where: above .< low)
    }

    /// Each lane in [0, 1].
    @inline(__always) var clampedToUnit: Self { clamped(0, 1) }
}
