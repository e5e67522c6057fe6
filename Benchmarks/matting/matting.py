#!/usr/bin/env python3
"""The matting benchmark: composites with exact truth (composites.py), segmented by `videoseg` with
probability masks, scored as Robust Video Matting's evaluation scores them (metrics.py).

    /usr/bin/python3 Benchmarks/matting/matting.py --videoseg .build/release/videoseg \
        --setting soft='--edges soft' --setting refined='--edges refined'

Each --setting is a name and the extra `videoseg segment` arguments of one run (default: one run
with none, the defaults). Prints one table per setting (a row per clip and their mean, with the
run's fps); --json writes the means. --small: one clip of 12 frames (what the test suite runs).
--binary NAME=PATH runs one setting with another build (before against after in one run).
--replace '#00B140' also runs each setting with `--style replace --background` that colour
(lossless, 4:4:4) and scores the picture against the person composited over it with the exact
alpha: RGB MAD ×10³ over the frame and in the edge band (where the old background's fringe shows).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import composites  # noqa: E402
import metrics  # noqa: E402

COLUMNS = ["MAD", "MSE", "Grad", "Conn", "dtSSD", "IoU", "MAD_edge", "RGB_MAD", "RGB_edge"]


def write_clip(clip, path):
    encoder = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{clip.width}x{clip.height}",
         "-r", "30", "-i", "-", "-c:v", "ffv1", "-pix_fmt", "yuv420p", path], stdin=subprocess.PIPE)
    for index in range(clip.frames):
        encoder.stdin.write(clip.frame(index)[0].tobytes())
    encoder.stdin.close()
    if encoder.wait() != 0:
        sys.exit(f"matting: ffmpeg could not write {path}")


def segment(videoseg, video, masks, arguments):
    """Runs videoseg for probability masks of `video`; returns its fps."""
    stats = masks + ".stats.json"
    command = [videoseg, "segment", video, "--masks", masks, "--mask-values", "probability", "--mask-format", "npy",
               "--no-video", "--stats-json", stats, "--overwrite"] + arguments
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"matting: {shlex.join(command)} failed: {run.stderr.strip()}")
    with open(stats) as file:
        return json.load(file)["fps"]


def replace(videoseg, video, output, colour, arguments):
    """Runs videoseg to replace the background of `video` by `colour`, losslessly."""
    command = [videoseg, "segment", video, "-o", output, "--style", "replace", "--background", colour, "--codec", "ffv1",
               "--pixel-format", "yuv444p", "--overwrite", "--quiet"] + arguments
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"matting: {shlex.join(command)} failed: {run.stderr.strip()}")


def decoded_frames(path, width, height):
    """The frames of `path` as uint8 RGB."""
    decoder = subprocess.Popen(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    size = width * height * 3
    while True:
        data = decoder.stdout.read(size)
        if len(data) < size:
            break
        yield numpy.frombuffer(data, dtype=numpy.uint8).reshape(height, width, 3)
    decoder.wait()


def score_replace(clip, outputs, colour):
    """Per setting, the RGB error of the replaced picture against the exact composite over `colour`."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    rows = {}
    for name, path in outputs.items():
        frames = []
        for index, picture in enumerate(decoded_frames(path, clip.width, clip.height)):
            truth, alpha = clip.over(index, rgb)
            error = numpy.abs(picture.astype(numpy.float32) - truth).mean(axis=2) / 255
            band = metrics.edge_band(alpha)
            frames.append((float(error.mean() * 1e3), float(error[band].mean() * 1e3) if band.any() else 0.0))
        if len(frames) != clip.frames:
            sys.exit(f"matting: {path} has {len(frames)} frames, expected {clip.frames}")
        rows[name] = {"RGB_MAD": float(numpy.mean([f[0] for f in frames])), "RGB_edge": float(numpy.mean([f[1] for f in frames]))}
    return rows


def score(clip, mask_folders, with_conn):
    """Per setting, the clip's metrics averaged over its frames (dtSSD over its frame pairs); the
    truth of each frame is worked out once for all settings."""
    rows = {name: [] for name in mask_folders}
    before = {}
    for index in range(clip.frames):
        truth = metrics.Truth(clip.frame(index)[1])
        for name, masks in mask_folders.items():
            pred = numpy.load(os.path.join(masks, f"{index:06d}.npy")).astype(numpy.float32)
            if pred.shape != truth.alpha.shape:
                sys.exit(f"matting: mask {index} of {clip.name} is {pred.shape}, expected {truth.alpha.shape}")
            row = metrics.frame_metrics(pred, truth, with_conn)
            if name in before:
                row["dtSSD"] = metrics.dtssd(pred, before[name][0], truth.alpha, before[name][1])
            rows[name].append(row)
            before[name] = (pred, truth.alpha)
    return {name: {key: float(numpy.mean([r[key] for r in frames if key in r])) for key in COLUMNS if any(key in r for r in frames)}
            for name, frames in rows.items()}


def table(name, arguments, results, fps):
    columns = [key for key in COLUMNS if any(key in values for values in results.values())]
    lines = [f"### {name}: `{shlex.join(arguments) or '(defaults)'}`, {fps:.1f} fps", "",
             "| clip | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for clip, values in results.items():
        lines.append(f"| {clip} | " + " | ".join(format_value(key, values.get(key)) for key in columns) + " |")
    return "\n".join(lines)


def format_value(key, value):
    if value is None:
        return "–"
    return f"{value:.4f}" if key == "IoU" else f"{value:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videoseg", default=shutil.which("videoseg") or ".build/release/videoseg")
    parser.add_argument("--setting", action="append", default=[], help="NAME=ARGS: a run with these videoseg arguments")
    parser.add_argument("--small", action="store_true", help="one short clip (the test suite's)")
    parser.add_argument("--no-conn", action="store_true", help="skip Conn (the slowest metric)")
    parser.add_argument("--frames", type=int, default=48, help="frames per clip (the motion is one sway whatever the count)")
    parser.add_argument("--binary", action="append", default=[], help="NAME=PATH: the videoseg the setting NAME runs")
    parser.add_argument("--replace", help="also score --style replace over this colour (#RRGGBB)")
    parser.add_argument("--json", help="write {setting: {metric: mean, fps}} here")
    parser.add_argument("--keep", help="keep the composites and masks in this folder")
    options = parser.parse_args()
    settings = [(s.split("=", 1)[0], shlex.split(s.split("=", 1)[1] if "=" in s else "")) for s in options.setting]
    settings = settings or [("default", [])]
    binaries = dict(b.split("=", 1) for b in options.binary)
    if options.replace and not (len(options.replace) == 7 and options.replace.startswith("#")):
        parser.error("--replace takes a colour as #RRGGBB")
    work = options.keep or tempfile.mkdtemp(prefix="matting-")
    os.makedirs(work, exist_ok=True)
    summary = {}
    try:
        clips = composites.clips(options.small, options.frames)
        for clip in clips:
            write_clip(clip, os.path.join(work, clip.name + ".mkv"))
        results = {name: {} for name, _ in settings}
        timing = {name: [0, 0.0] for name, _ in settings}
        for clip in clips:
            folders, replaced = {}, {}
            video = os.path.join(work, clip.name + ".mkv")
            for name, arguments in settings:
                binary = binaries.get(name, options.videoseg)
                folders[name] = os.path.join(work, f"{clip.name}.{name}")
                fps = segment(binary, video, folders[name], arguments)
                timing[name][0] += clip.frames
                timing[name][1] += clip.frames / fps
                if options.replace:
                    replaced[name] = os.path.join(work, f"{clip.name}.{name}.replaced.mkv")
                    replace(binary, video, replaced[name], options.replace, arguments)
            for name, values in score(clip, folders, not options.no_conn).items():
                results[name][clip.name] = values
            for name, values in (score_replace(clip, replaced, options.replace) if options.replace else {}).items():
                results[name][clip.name].update(values)
        for name, arguments in settings:
            rows = results[name]
            rows["mean"] = {key: float(numpy.mean([r[key] for r in rows.values()])) for key in rows[clips[0].name]}
            fps = timing[name][0] / timing[name][1]
            summary[name] = dict(rows["mean"], fps=fps)
            print(table(name, arguments, rows, fps) + "\n", flush=True)
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    if options.json:
        with open(options.json, "w") as file:
            json.dump(summary, file, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
