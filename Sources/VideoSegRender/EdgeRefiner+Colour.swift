import VideoSegCore
import VideoSegMedia
import VideoSegModel

extension EdgeRefiner {
    /// The colour guided filter's coefficients on the grid: per window, `a` (three slopes, for
    /// luma, U and V) solves `(Σ + εI)·a = cov(guide, weight)` with Σ the channels' covariance,
    /// and `b = mean(weight) − a·mean(guide)`; both are then averaged over the box as the
    /// output step wants. Where the weight is flat over a window, `cov` is exactly 0, so `a` is
    /// exactly 0 and `b` the weight: flat regions stay flat, as with luma alone.
    ///
    /// The channels are centred on one half first: the covariances are differences of nearly
    /// equal moments, and a system with a small ε magnifies their float rounding; the output
    /// step reads the picture uncentred, so `b` takes the shift back at the end.
    func colourCoefficients(_ grid: RefinerGrid) {
        let y = grid[.guide], u = grid[.guideU], v = grid[.guideV], p = grid[.weight]
        for plane in [y, u, v] {
            for cell in 0..<grid.cells { plane[cell] -= 0.5 }
        }
        let products: [(RefinerGrid.Plane, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)] = [
            (.guideSquared, y, y), (.uu, u, u), (.vv, v, v), (.yu, y, u), (.yv, y, v), (.uv, u, v),
            (.product, y, p), (.productU, u, p), (.productV, v, p),
        ]
        for (plane, first, second) in products {
            let out = grid[plane]
            for cell in 0..<grid.cells { out[cell] = first[cell] * second[cell] }
        }
        for (mean, source) in [(RefinerGrid.Plane.meanGuide, y), (.meanU, u), (.meanV, v), (.meanWeight, p)] {
            grid[mean].update(from: source, count: grid.cells)
        }
        box(grid, .guideSquared, .uu, .vv, .yu, .yv, .uv, .product, .productU, .productV, .meanGuide, .meanU, .meanV, .meanWeight)
        solveColour(grid)
        box(grid, .slope, .slopeU, .slopeV, .product)
        let ay = grid[.slope], au = grid[.slopeU], av = grid[.slopeV], b = grid[.product]
        for cell in 0..<grid.cells { b[cell] -= 0.5 * (ay[cell] + au[cell] + av[cell]) }
    }

    /// Each window's 3×3 system, by its adjugate (in doubles: the covariances of a smooth
    /// picture are small and close to dependent).
    private func solveColour(_ grid: RefinerGrid) {
        let my = grid[.meanGuide], mu = grid[.meanU], mv = grid[.meanV], mp = grid[.meanWeight]
        let yy = grid[.guideSquared], uu = grid[.uu], vv = grid[.vv], yu = grid[.yu], yv = grid[.yv], uv = grid[.uv]
        let py = grid[.product], pu = grid[.productU], pv = grid[.productV]
        let ay = grid[.slope], au = grid[.slopeU], av = grid[.slopeV], b = grid[.product]
        let epsilon = Double(self.epsilon)
        for cell in 0..<grid.cells {
            let (y, u, v, w) = (Double(my[cell]), Double(mu[cell]), Double(mv[cell]), Double(mp[cell]))
            let syy = max(0, Double(yy[cell]) - y * y) + epsilon, suu = max(0, Double(uu[cell]) - u * u) + epsilon
            let svv = max(0, Double(vv[cell]) - v * v) + epsilon
            let syu = Double(yu[cell]) - y * u, syv = Double(yv[cell]) - y * v, suv = Double(uv[cell]) - u * v
            let cy = Double(py[cell]) - y * w, cu = Double(pu[cell]) - u * w, cv = Double(pv[cell]) - v * w
            let i00 = suu * svv - suv * suv, i01 = syv * suv - syu * svv, i02 = syu * suv - syv * suu
            let i11 = syy * svv - syv * syv, i12 = syu * syv - syy * suv, i22 = syy * suu - syu * syu
            let determinant = syy * i00 + syu * i01 + syv * i02
            // Σ + εI is positive definite; a determinant rounding to 0 or below means the
            // window has no usable colour: fall back to the weight itself.
            guard determinant > 0 else {
                (ay[cell], au[cell], av[cell], b[cell]) = (0, 0, 0, Float(w))
                continue
            }
            let inverse = 1 / determinant
            let a0 = (i00 * cy + i01 * cu + i02 * cv) * inverse
            let a1 = (i01 * cy + i11 * cu + i12 * cv) * inverse
            let a2 = (i02 * cy + i12 * cu + i22 * cv) * inverse
            (ay[cell], au[cell], av[cell]) = (Float(a0), Float(a1), Float(a2))
            b[cell] = Float(w - a0 * y - a1 * u - a2 * v)
        }
    }
}
