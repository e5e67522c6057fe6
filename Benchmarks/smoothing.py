#!/usr/bin/python3
"""What `--smooth` buys and costs, measured: flicker on a still scene, and agreement with the
unsmoothed masks on a clip with motion.

usage: smoothing.py [--videoseg PATH] [--clip Samples/sample.mp4] [--values 0,0.5,0.7,0.9]
                    [--edges refined,soft] [--binary NAME=PATH ...]

Still scene: the clip's first frame held for 3 s with fresh sensor-like noise every frame (so
nothing in the picture moves); flicker is the share of pixels whose class differs from the
previous frame's, averaged over the frames, and, for the probability masks, the mean absolute
change of a pixel's probability from one frame to the next (×10³). Motion: the clip itself; IoU of each smoothed run's
foreground (every class but background) with the unsmoothed run's, averaged over the frames.
A row per --edges setting (class masks follow the refined edge with `refined`, the default) and
per --binary (another build, for before against after in one run) and --smooth value. Masks are
exported at source size as FFV1 and read back with ffmpeg. Needs ffmpeg and numpy
(Debian's python3-numpy, under /usr/bin/python3).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def masks(videoseg, video, smooth, folder, edges, values="classes"):
    """The masks (class ids, or probabilities 0-255) of every frame of `video`, [frames, H, W] uint8."""
    out = os.path.join(folder, f"masks-{os.path.basename(video)}-{smooth}-{edges}-{values}-{abs(hash(videoseg))}")
    subprocess.run([videoseg, "segment", video, "--no-video", "--masks", out, "--mask-format", "video", "--overwrite",
                    "--smooth", str(smooth), "--edges", edges, "--mask-values", values, "--progress", "none", "-q"], check=True)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", os.path.join(out, "masks.mkv")], check=True, capture_output=True, text=True)
    width, height = (int(v) for v in probe.stdout.strip().split(","))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(out, "masks.mkv"), "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         check=True, capture_output=True).stdout
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(-1, height, width)


def flicker(frames):
    return float(numpy.mean([numpy.mean(a != b) for a, b in zip(frames, frames[1:])]))


def change(frames):
    """The mean absolute change of a probability mask between frames, ×10³ of full scale."""
    return float(numpy.mean([numpy.mean(numpy.abs(a.astype(numpy.int16) - b)) for a, b in zip(frames, frames[1:])]) / 255 * 1e3)


def iou(a, b):
    a, b = a > 0, b > 0
    union = numpy.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(numpy.logical_and(a, b).sum() / union)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videoseg", default=os.path.join(ROOT, ".build/release/videoseg"))
    parser.add_argument("--clip", default=os.path.join(ROOT, "Samples/sample.mp4"))
    parser.add_argument("--values", default="0,0.5,0.7,0.9")
    parser.add_argument("--edges", default="refined", help="comma-separated --edges settings, a row each")
    parser.add_argument("--binary", action="append", default=[], help="NAME=PATH: also rows for this build")
    arguments = parser.parse_args()
    values = [float(v) for v in arguments.values.split(",")]
    builds = [("", arguments.videoseg)] + [tuple(b.split("=", 1)) for b in arguments.binary]
    runs = [(name, path, edges) for name, path in builds for edges in arguments.edges.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        still = os.path.join(folder, "still.mkv")
        subprocess.run(["ffmpeg", "-v", "error", "-i", arguments.clip, "-an", "-vf",
                        "trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB,noise=alls=12:allf=t", "-c:v", "ffv1", still],
                       check=True)
        print(f"{'build':>8} {'--edges':>8} {'--smooth':>9} {'still: flicker':>15} {'still: Δp ×10³':>15} {'clip: flicker':>14} "
              f"{'clip: IoU vs off':>17}", flush=True)
        for name, videoseg, edges in runs:
            still_masks = {v: masks(videoseg, still, v, folder, edges) for v in values}
            still_probability = {v: masks(videoseg, still, v, folder, edges, "probability") for v in values}
            clip_masks = {v: masks(videoseg, arguments.clip, v, folder, edges) for v in values}
            for v in values:
                agreement = numpy.mean([iou(a, b) for a, b in zip(clip_masks[v], clip_masks[values[0]])])
                print(f"{name or 'this':>8} {edges:>8} {v:>9} {flicker(still_masks[v]) * 100:>14.3f}% {change(still_probability[v]):>15.3f} "
                      f"{flicker(clip_masks[v]) * 100:>13.3f}% {agreement:>17.4f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
