#!/usr/bin/env /usr/bin/python3
"""Edge-refinement methods tried before one went into VideoSeg, on the benchmark's composites.

The model's person probability comes from the default model run here through PyTorch (input:
the composite scaled bilinearly to 256×144; output interpolated as `--edges soft` does, no temporal
smoothing), so each method is scored on exactly the same coarse matte. Frame metrics as metrics.py
(Conn left out: slow, and it ranked the methods as MAD did in a first pass), on pairs of
neighbouring frames, so that each method's dtSSD (what the step alone does to flicker) comes too.
The ceiling rows are not methods: they are given the truth, to show how much any step that moves
the matte only near the model's own edge could gain.

    /usr/bin/python3 Benchmarks/matting/prototypes.py [--frames-per-clip 6] [--only NAME,NAME]
"""
import argparse
import os
import sys

import numpy
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import composites  # noqa: E402
import metrics  # noqa: E402

MODEL = os.path.join(composites.REPO, "Models", "selfie_segmentation_landscape.pt")


def box(values, radius):
    """Mean over a (2r+1)² window, the border repeated (what a running-sum box filter gives)."""
    padded = numpy.pad(values, radius, mode="edge")
    summed = padded.cumsum(0).cumsum(1)
    summed = numpy.pad(summed, ((1, 0), (1, 0)))
    size = 2 * radius + 1
    total = summed[size:, size:] - summed[:-size, size:] - summed[size:, :-size] + summed[:-size, :-size]
    return total / size ** 2


def resize(values, shape):
    return F.interpolate(torch.from_numpy(numpy.ascontiguousarray(values))[None, None], size=shape, mode="bilinear",
                         align_corners=False)[0, 0].numpy()


def fast_guided(guide, p, radius, eps, factor):
    """He and Sun's fast guided filter: coefficients from a `factor`× smaller guide, upsampled."""
    h, w = guide.shape
    small = (h // factor, w // factor)
    g, q = resize(guide, small), resize(p, small)
    r = max(1, radius // factor)
    mean_g, mean_p = box(g, r), box(q, r)
    var = box(g * g, r) - mean_g ** 2
    cov = box(g * q, r) - mean_g * mean_p
    a = cov / (var + eps)
    b = mean_p - a * mean_g
    a, b = box(a, r), box(b, r)
    return numpy.clip(resize(a, (h, w)) * guide + resize(b, (h, w)), 0, 1)


def sharpened(p, gain):
    return numpy.clip((p - 0.5) * gain + 0.5, 0, 1)


def colour_guided(rgb, p, radius, eps, factor):
    """He et al.'s guided filter with the colour picture as guide (a 3×3 covariance per window),
    coefficients solved `factor`× smaller and upsampled, as fast_guided does for luma."""
    h, w, _ = rgb.shape
    small = (h // factor, w // factor)
    g = numpy.stack([resize(rgb[..., c], small) for c in range(3)], -1)
    q = resize(p, small)
    r = max(1, radius // factor)
    mean_g = numpy.stack([box(g[..., c], r) for c in range(3)], -1)
    mean_p = box(q, r)
    cov = numpy.stack([box(g[..., c] * q, r) for c in range(3)], -1) - mean_g * mean_p[..., None]
    sigma = numpy.empty(small + (3, 3))
    for i in range(3):
        for j in range(i, 3):
            sigma[..., i, j] = sigma[..., j, i] = box(g[..., i] * g[..., j], r) - mean_g[..., i] * mean_g[..., j]
    a = numpy.linalg.solve(sigma + eps * numpy.eye(3), cov[..., None])[..., 0]
    b = mean_p - (a * mean_g).sum(-1)
    a = numpy.stack([box(a[..., c], r) for c in range(3)], -1)
    b = box(b, r)
    up = sum(resize(a[..., c], (h, w)) * rgb[..., c] for c in range(3))
    return numpy.clip(up + resize(b, (h, w)), 0, 1)


def yuv420(rgb):
    """What the app's guide reads: BT.601 limited-range Y, U, V (÷255), chroma averaged over 2×2
    and each chroma sample repeated over its four luma samples."""
    matrix = numpy.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]])
    yuv = (rgb @ matrix.T + numpy.array([16, 128, 128])) / 255
    h, w = rgb.shape[:2]
    for c in (1, 2):
        chroma = yuv[:h // 2 * 2, :w // 2 * 2, c].reshape(h // 2, 2, w // 2, 2).mean((1, 3))
        yuv[:h // 2 * 2, :w // 2 * 2, c] = chroma.repeat(2, 0).repeat(2, 1)
    return yuv


def within_reach(p, true, reach, outside):
    """What the best step that moves the matte only within `reach` px of the model's 0.5 contour
    could give: the true alpha there, `outside` (the model's own matte, sharpened or not) beyond."""
    inside = p >= 0.5
    distance = numpy.where(inside, ndimage.distance_transform_edt(inside), ndimage.distance_transform_edt(~inside))
    return numpy.where(distance <= reach, true, outside)


# Each method sees the frame's luma, its colour (both in [0, 1]) and the model's interpolated
# probability; the last two rows also see the truth: they are ceilings, not methods.
METHODS = {
    "soft": lambda y, p: p,
    "hard: p at 0.5": lambda y, p: (p >= 0.5).astype(numpy.float64),
    "guided r8 eps1e-3 /4": lambda y, p: fast_guided(y, p, 8, 1e-3, 4),
    "guided r12 eps1e-4 /4": lambda y, p: fast_guided(y, p, 12, 1e-4, 4),
    "guided r16 eps1e-4 /4": lambda y, p: fast_guided(y, p, 16, 1e-4, 4),
    "guided r16 eps1e-3 /4": lambda y, p: fast_guided(y, p, 16, 1e-3, 4),
    "sharpen2 + guided r12 eps1e-4 /4": lambda y, p: fast_guided(y, sharpened(p, 2), 12, 1e-4, 4),
    "sharpen3 + guided r16 eps1e-4 /4": lambda y, p: fast_guided(y, sharpened(p, 3), 16, 1e-4, 4),
    "guided r12 eps1e-4 /4, sharpen2": lambda y, p: sharpened(fast_guided(y, p, 12, 1e-4, 4), 2),
    "guided r16 eps1e-5 /8, sharpen2": lambda y, p: sharpened(fast_guided(y, p, 16, 1e-5, 8), 2),
    "guided twice r12 eps1e-4 /4": lambda y, p: fast_guided(y, fast_guided(y, p, 12, 1e-4, 4), 8, 1e-4, 4),
}
COLOUR_METHODS = {
    "colour guided r8 eps1e-3 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(rgb, p, 8, 1e-3, 4), 2),
    "colour guided r12 eps1e-4 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(rgb, p, 12, 1e-4, 4), 2),
    "colour guided r16 eps1e-3 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(rgb, p, 16, 1e-3, 4), 2),
    "colour guided r8 eps1e-3 /4, sharpen3": lambda rgb, p: sharpened(colour_guided(rgb, p, 8, 1e-3, 4), 3),
    "colour guided r12 eps1e-5 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(rgb, p, 12, 1e-5, 4), 2),
    "colour guided r8 eps1e-4 /2, sharpen2": lambda rgb, p: sharpened(colour_guided(rgb, p, 8, 1e-4, 2), 2),
    "colour guided r12 eps1e-4 /4, sharpen2.5": lambda rgb, p: sharpened(colour_guided(rgb, p, 12, 1e-4, 4), 2.5),
    "yuv420 guided r12 eps1e-4 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 12, 1e-4, 4), 2),
    "yuv420 guided r12 eps1e-5 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 12, 1e-5, 4), 2),
    "yuv420 guided r12 eps3e-5 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 12, 3e-5, 4), 2),
    "yuv420 guided r8 eps3e-5 /4, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 8, 3e-5, 4), 2),
    "yuv420 guided r16 eps1e-5 /8, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 16, 1e-5, 8), 2),
    "yuv420 guided r16 eps2e-3 /8, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 16, 2e-3, 8), 2),
    "yuv420 guided r8 eps1e-5 /8, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 8, 1e-5, 8), 2),
    "yuv420 guided r12 eps1e-5 /6, sharpen2": lambda rgb, p: sharpened(colour_guided(yuv420(rgb), p, 12, 1e-5, 6), 2),
    "colour guided r12 eps1e-4 /4 twice (then r6 /2), sharpen2": lambda rgb, p: sharpened(
        colour_guided(rgb, colour_guided(rgb, p, 12, 1e-4, 4), 6, 1e-4, 2), 2),
    "colour guided r12 eps1e-4 /4, sharpen2, colour guided r4 /2": lambda rgb, p: colour_guided(
        rgb, sharpened(colour_guided(rgb, p, 12, 1e-4, 4), 2), 4, 1e-4, 2),
}
CEILINGS = {
    "ceiling: truth within 8 px of the model's edge, sharpen2 beyond": lambda t, p: within_reach(p, t, 8, sharpened(p, 2)),
    "ceiling: truth within 15 px of the model's edge, sharpen2 beyond": lambda t, p: within_reach(p, t, 15, sharpened(p, 2)),
    "ceiling: truth within 15 px of the model's edge, hard beyond": lambda t, p: within_reach(p, t, 15, (p >= 0.5) * 1.0),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames-per-clip", type=int, default=6)
    parser.add_argument("--only", help="score only the methods whose names contain one of these (comma-separated)")
    options = parser.parse_args()
    model = torch.jit.load(MODEL).eval()
    methods = {name: (lambda y, rgb, t, p, m=m: m(y, p)) for name, m in METHODS.items()}
    methods.update({name: (lambda y, rgb, t, p, m=m: m(rgb, p)) for name, m in COLOUR_METHODS.items()})
    methods.update({name: (lambda y, rgb, t, p, m=m: m(t, p)) for name, m in CEILINGS.items()})
    if options.only:
        wanted = options.only.split(",")
        methods = {name: m for name, m in methods.items() if any(w in name for w in wanted) or name == "soft"}
    totals = {name: [] for name in methods}
    for clip in composites.clips():
        # Pairs of neighbouring frames, so that each method's dtSSD (frame to frame, no temporal
        # smoothing: what the edge step alone does to flicker) comes with the frame metrics.
        for index in numpy.linspace(0, clip.frames - 2, options.frames_per_clip).round().astype(int):
            before = {}
            for step in (0, 1):
                rgb, true = clip.frame(int(index) + step)
                p = model_probability(model, rgb, true.shape)
                colour = rgb.astype(numpy.float64) / 255
                luma = colour @ numpy.array([0.299, 0.587, 0.114])
                for name, method in methods.items():
                    matte = method(luma, colour, true, p).astype(numpy.float32)
                    if step:
                        row = metrics.frame_metrics(matte, true, with_conn=False)
                        row["dtSSD"] = metrics.dtssd(matte, before[name][0], true, before[name][1])
                        totals[name].append(row)
                    else:
                        before[name] = (matte, true)
    print("| method | MAD | MSE | Grad | IoU | MAD_edge | dtSSD |\n|---|---|---|---|---|---|---|")
    for name, rows in totals.items():
        mean = {key: numpy.mean([r[key] for r in rows]) for key in rows[0]}
        print(f"| {name} | {mean['MAD']:.2f} | {mean['MSE']:.2f} | {mean['Grad']:.2f} | {mean['IoU']:.4f} "
              f"| {mean['MAD_edge']:.1f} | {mean['dtSSD']:.2f} |")


def model_probability(model, rgb, shape):
    """The default model's person probability for `rgb`, interpolated to `shape` as --edges soft does."""
    small = numpy.asarray(Image.fromarray(rgb).resize((256, 144), Image.BILINEAR), dtype=numpy.float32) / 255
    with torch.no_grad():
        scores = model(torch.from_numpy(small).permute(2, 0, 1)[None])
    return F.interpolate(scores, size=shape, mode="bilinear", align_corners=False)[0, 1].numpy().astype(numpy.float64)

if __name__ == "__main__":
    main()
