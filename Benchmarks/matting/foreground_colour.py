#!/usr/bin/python3
"""What estimating the person's colour at the edge buys `--style replace`, on the matting
benchmark's composites, offline.

usage: foreground_colour.py KEEP [--setting refined] [--colour '#00B140'] [--every 3]

KEEP is the folder `matting.py --keep KEEP --setting NAME=...` left: its composites and the
setting's probability masks (the weight w the video is drawn with). For every third frame, the
frame I is composited over the colour G as the app does (w·F + (1−w)·G) with F estimated several
ways from the compositing equation I = w·F + (1−w)·B, B the old background's colour near the
pixel (blurred from background pixels only, as the blur style does: a 29 px box of I·(1−w) over
one of 1−w), and scored against the person composited over G with the exact alpha (RGB MAD ×10³
over the frame and in the edge band, as matting.py --replace scores the app's output).
"""
import argparse
import os
import sys

import numpy
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import composites  # noqa: E402
import metrics  # noqa: E402


def box(picture, radius):
    size = (2 * radius + 1, 2 * radius + 1) + ((1,) if picture.ndim == 3 else ())
    return ndimage.uniform_filter(picture, size=size, mode="nearest")


def estimates(picture, weight, radius=14):
    """The person's colour F by each method: the picture itself, and the compositing equation
    solved fully, half way, only where w ≥ 0.5, or with its amplification (1−w)/w capped."""
    removed = 1 - weight
    background = box(picture * removed[..., None], radius) / numpy.maximum(box(removed, radius)[..., None], 1e-6)
    w = weight[..., None]
    amplification = (1 - w) / numpy.maximum(w, 1e-3)
    difference = picture - background
    return {
        "the picture (kept)": picture,
        "solved: (I − (1−w)·B) / w": picture + amplification * difference,
        "half way": picture + 0.5 * amplification * difference,
        "solved where w ≥ 0.5": numpy.where(w >= 0.5, picture + amplification * difference, picture),
        "amplification ≤ 1": picture + numpy.minimum(amplification, 1) * difference,
        "amplification ≤ 0.5": picture + numpy.minimum(amplification, 0.5) * difference,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("keep")
    parser.add_argument("--setting", default="refined")
    parser.add_argument("--colour", default="#00B140")
    parser.add_argument("--every", type=int, default=3)
    options = parser.parse_args()
    colour = numpy.array([int(options.colour[i:i + 2], 16) for i in (1, 3, 5)], numpy.float32)
    totals = {}
    first = composites.clips()[0].name
    frames = len([f for f in os.listdir(os.path.join(options.keep, f"{first}.{options.setting}")) if f.endswith(".npy")])
    for clip in composites.clips(frames=frames):
        scores = {}
        for index in range(0, clip.frames, options.every):
            picture, alpha = clip.frame(index)
            weight = numpy.load(os.path.join(options.keep, f"{clip.name}.{options.setting}", f"{index:06d}.npy")).astype(numpy.float32)
            truth, _ = clip.over(index, colour)
            band = metrics.edge_band(alpha)
            for name, person in estimates(picture.astype(numpy.float32), weight).items():
                drawn = weight[..., None] * numpy.clip(person, 0, 255) + (1 - weight[..., None]) * colour
                error = numpy.abs(numpy.clip(numpy.rint(drawn), 0, 255) - truth).mean(axis=2) / 255
                scores.setdefault(name, []).append((error.mean() * 1e3, error[band].mean() * 1e3))
        for name, values in scores.items():
            totals.setdefault(name, []).append(numpy.mean(values, axis=0))
        print(clip.name, "done", file=sys.stderr)
    print("| F | RGB MAD ×10³ | RGB MAD in the edge band ×10³ |\n|---|---|---|")
    for name, values in totals.items():
        mad, edge = numpy.mean(values, axis=0)
        print(f"| {name} | {mad:.2f} | {edge:.2f} |")


if __name__ == "__main__":
    main()
