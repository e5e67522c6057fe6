#!/usr/bin/env /usr/bin/python3
"""Edge-refinement methods tried before one went into VideoSeg, on the benchmark's composites.

The model's person probability comes from the default model run here through PyTorch (input:
the composite scaled bilinearly to 256×144; output interpolated as `--edges soft` does, no temporal
smoothing), so each method is scored on exactly the same coarse matte. Frame metrics as metrics.py
(Conn left out: slow, and it ranked the methods as MAD did in a first pass).

    /usr/bin/python3 Benchmarks/matting/prototypes.py [--frames-per-clip 6]
"""
import argparse
import os
import sys

import numpy
import torch
import torch.nn.functional as F
from PIL import Image

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


METHODS = {
    "soft (today)": lambda y, p: p,
    "guided r8 eps1e-3 /4": lambda y, p: fast_guided(y, p, 8, 1e-3, 4),
    "guided r12 eps1e-4 /4": lambda y, p: fast_guided(y, p, 12, 1e-4, 4),
    "guided r16 eps1e-4 /4": lambda y, p: fast_guided(y, p, 16, 1e-4, 4),
    "guided r16 eps1e-3 /4": lambda y, p: fast_guided(y, p, 16, 1e-3, 4),
    "sharpen2 + guided r12 eps1e-4 /4": lambda y, p: fast_guided(y, sharpened(p, 2), 12, 1e-4, 4),
    "sharpen3 + guided r16 eps1e-4 /4": lambda y, p: fast_guided(y, sharpened(p, 3), 16, 1e-4, 4),
    "guided r12 eps1e-4 /4, sharpen2": lambda y, p: sharpened(fast_guided(y, p, 12, 1e-4, 4), 2),
    "guided twice r12 eps1e-4 /4": lambda y, p: fast_guided(y, fast_guided(y, p, 12, 1e-4, 4), 8, 1e-4, 4),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames-per-clip", type=int, default=6)
    options = parser.parse_args()
    model = torch.jit.load(MODEL).eval()
    totals = {name: [] for name in METHODS}
    for clip in composites.clips():
        for index in numpy.linspace(0, clip.frames - 1, options.frames_per_clip).round().astype(int):
            rgb, true = clip.frame(int(index))
            small = numpy.asarray(Image.fromarray(rgb).resize((256, 144), Image.BILINEAR), dtype=numpy.float32) / 255
            with torch.no_grad():
                scores = model(torch.from_numpy(small).permute(2, 0, 1)[None])
            p = F.interpolate(scores, size=true.shape, mode="bilinear", align_corners=False)[0, 1].numpy().astype(numpy.float64)
            luma = (rgb @ numpy.array([0.299, 0.587, 0.114])) / 255
            for name, method in METHODS.items():
                totals[name].append(metrics.frame_metrics(method(luma, p).astype(numpy.float32), true, with_conn=False))
    print("| method | MAD | MSE | Grad | IoU | MAD_edge |\n|---|---|---|---|---|---|")
    for name, rows in totals.items():
        mean = {key: numpy.mean([r[key] for r in rows]) for key in rows[0]}
        print(f"| {name} | {mean['MAD']:.2f} | {mean['MSE']:.2f} | {mean['Grad']:.2f} | {mean['IoU']:.4f} | {mean['MAD_edge']:.1f} |")


if __name__ == "__main__":
    main()
