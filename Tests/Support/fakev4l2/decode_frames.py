#!/usr/bin/env python3
"""Read back the frame numbers (and check the colour bars) of video recorded
from the fake V4L2 camera (libfakev4l2.so). See README.md for the layout.

usage: decode_frames.py VIDEO [--size WxH] [--json]
  Decodes VIDEO with ffmpeg to rgb24 and prints one line per frame:
  "<index> <frame_number> <bars_ok>", or a JSON document with --json.
  Exit status 1 if any frame's bars or code stripe look wrong.

As a module: decode_rgb_frame(rgb) -> (frame_number, bars_ok) for a
HxWx3 uint8 numpy array at the camera's resolution.
"""
import json
import subprocess
import sys

import numpy as np

CODE_ROWS = 16
CODE_BITS = 32


def bar_bounds(width):
    return (width // 3) & ~1, (2 * width // 3) & ~1


def decode_rgb_frame(rgb):
    h, w, _ = rgb.shape
    bw = w // CODE_BITS
    luma = rgb[2:CODE_ROWS - 2].astype(np.float32).mean(axis=2)  # stay off the edges
    number, stripe_ok = 0, True
    for i in range(CODE_BITS):
        block = luma[:, i * bw + 1:(i + 1) * bw - 1]
        v = float(block.mean())
        bit = 1 if v > 128 else 0
        stripe_ok &= v < 60 or v > 190
        number = (number << 1) | bit
    b1, b2 = bar_bounds(w)
    body = rgb[CODE_ROWS + 2:]
    bars_ok = stripe_ok
    for cls, (x0, x1) in enumerate([(0, b1), (b1, b2), (b2, w)]):
        region = body[:, x0 + 2:x1 - 2].astype(np.int16)
        bars_ok &= bool((region.argmax(axis=2) == cls).all())
    return number, bool(bars_ok)


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    size = None
    if "--size" in args:
        i = args.index("--size")
        size = args[i + 1]
        del args[i:i + 2]
    path = args[0]
    if size is None:
        out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                              "-show_entries", "stream=width,height", "-of", "csv=p=0", path],
                             check=True, capture_output=True, text=True).stdout.strip()
        size = out.replace(",", "x")
    w, h = (int(x) for x in size.split("x"))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vsync", "passthrough", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    n = len(raw) // (w * h * 3)
    frames = np.frombuffer(raw[:n * w * h * 3], np.uint8).reshape(n, h, w, 3)
    results = [decode_rgb_frame(f) for f in frames]
    if as_json:
        print(json.dumps({"frames": [r[0] for r in results], "bars_ok": [r[1] for r in results]}))
    else:
        for i, (num, ok) in enumerate(results):
            print(i, num, ok)
    sys.exit(0 if all(ok for _, ok in results) else 1)


if __name__ == "__main__":
    main()
