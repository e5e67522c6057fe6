#!/usr/bin/env python3
"""Where `videoseg batch`'s overhead per video goes, for one or more binaries, in one run.

Makes CLIPS short clips (default 20 of 1.5 s at 320x240, cut from Samples/sample.mp4 with its
audio), runs `videoseg batch --jobs 1` over them ROUNDS times with each binary in turn (so that
the binaries share the machine's load), and prints, per binary, the mean seconds per video of each
phase that the report's `phases` holds (see Sources/VideoSegBatch/BatchPhase.swift), the median
over the rounds.

Overhead per video (issue 24's figure): the batch's wall time less the time its pipelines spent on
frames (each video's `frames` phase: from its stage threads' start until the last frame was handed
to the encoder and the mask writer), divided by the number of videos. It is the sum of two parts,
printed apart:
- per video: every phase of a video but `frames`, the first video's model load and preparation
  left out (a warm batch pays it once);
- fixed, shared by the videos: the process's start-up (libraries, libtorch) and exit, and that
  first model load and preparation, over the number of videos.

usage: Benchmarks/batch_overhead.py [--clips N] [--seconds S] [--size WxH] [--rounds R] [videoseg ...]
(default binary: .build/release/videoseg)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["lock", "check", "open", "model", "outputs", "frames", "flush", "finish", "close", "record", "report", "other"]


def make_clips(folder: Path, count: int, seconds: float, size: str) -> None:
    folder.mkdir(parents=True)
    width, height = size.split("x")
    for index in range(count):
        start = (index * 0.7) % (10 - seconds)
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{start:.2f}", "-t", str(seconds),
                        "-i", str(ROOT / "Samples/sample.mp4"), "-vf", f"scale={width}:{height}", "-c:v", "libx264",
                        "-preset", "veryfast", "-c:a", "copy", str(folder / f"clip{index:02d}.mp4")], check=True)


def one_batch(binary: str, clips: Path, output: Path) -> dict:
    """One `batch --jobs 1`: its wall time and the per-video phases of its report."""
    shutil.rmtree(output, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([binary, "batch", str(clips), "--output-dir", str(output), "--jobs", "1", "-q"])
    wall = time.monotonic() - started
    report = [json.loads(line) for line in (output / "batch-report.jsonl").read_text().splitlines()]
    failed = [r for r in report if r["status"] != "done"]
    if failed:
        sys.exit(f"{binary}: {len(failed)} videos not done: {failed[0]}")
    return {"wall": wall, "phases": [r["phases"] for r in report]}


def summary(run: dict) -> dict:
    """Mean seconds per video of each phase, the per-video overhead, the fixed cost per video."""
    videos = run["phases"]
    count = len(videos)
    first_model = videos[0].get("model", 0.0)
    means = {phase: sum(v.get(phase, 0.0) for v in videos) / count for phase in ORDER}
    accounted = sum(sum(v.values()) for v in videos)
    frames = sum(v.get("frames", 0.0) for v in videos)
    per_video = (accounted - frames - first_model) / count
    fixed = (run["wall"] - accounted + first_model) / count
    means.update({"per video": per_video, "fixed / video": fixed, "overhead / video": (run["wall"] - frames) / count,
                  "wall": run["wall"], "model (first video)": first_model,
                  "model (later videos)": (means["model"] * count - first_model) / max(1, count - 1)})
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="*", default=[str(ROOT / ".build/release/videoseg")])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    # A binary copied out of its checkout (a build kept from before a change) still finds the
    # bundled models.
    os.environ.setdefault("VIDEOSEG_MODELS", str(ROOT / "Models"))
    work = Path(tempfile.mkdtemp(prefix="videoseg-batch-overhead-"))
    try:
        make_clips(work / "clips", arguments.clips, arguments.seconds, arguments.size)
        runs = {binary: [] for binary in arguments.binaries}
        for _ in range(arguments.rounds):
            for binary in arguments.binaries:
                runs[binary].append(summary(one_batch(binary, work / "clips", work / "out")))
        rows = ["wall", "overhead / video", "per video", "fixed / video", "model (first video)", "model (later videos)"] + ORDER
        print(f"{arguments.clips} clips of {arguments.seconds:g} s at {arguments.size}, batch --jobs 1, default model, "
              f"{os.cpu_count()} cores, {arguments.rounds} rounds (median); seconds (phases: mean per video)")
        names = [Path(b).name if arguments.binaries.count(b) == 1 else b for b in arguments.binaries]
        print(f"{'':22}" + "".join(f"{name[-14:]:>15}" for name in names))
        for row in rows:
            values = [statistics.median(r[row] for r in runs[b]) for b in arguments.binaries]
            print(f"{row:22}" + "".join(f"{value:15.4f}" for value in values))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
