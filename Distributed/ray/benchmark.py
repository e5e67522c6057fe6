"""Figures: the Ray driver on a local cluster (a head with no CPUs and one, then two, worker nodes
with one CPU each) against `videoseg batch --jobs 1` and `--jobs 2`, on the same clips (the 720p
sample cut into short pieces, the default model), all in one run.

    .venv-ray/bin/python Distributed/ray/benchmark.py [--binary .build/release/videoseg] [--counts 12 24]

Each is timed over two clip counts so that the fixed costs cancel: the marginal cost of a video is
(T(large) - T(small)) / (large - small), and the fixed cost T(small) - small x marginal (for the
driver: Ray's connection, starting the actors, their first model preparation). The cluster's own
start-up is timed apart (a real cluster is already up).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

REPOSITORY = Path(__file__).resolve().parents[2]


def make_clips(folder: Path, count: int, seconds: float) -> None:
    """`count` clips of `seconds` from the 10 s sample, starting at different points."""
    folder.mkdir(parents=True)
    for index in range(count):
        start = (index * 0.7) % (10 - seconds)
        subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{start:.2f}", "-i", str(REPOSITORY / "Samples/sample.mp4"),
                        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-c:a", "copy",
                        str(folder / f"clip{index:02}.mp4")], check=True)


def timed(command: List[str]) -> Dict[str, float]:
    """Seconds to the end, and for the driver to its first line (planned and connected) and to its
    first finished video."""
    started = time.monotonic()
    marks: Dict[str, float] = {}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line)
        now = time.monotonic() - started
        marks.setdefault("connected", now)
        if "videos (" in line:  # the first progress line: the first video(s) done
            marks.setdefault("first video", now)
    if process.wait() != 0:
        sys.exit(f"{command[0]} failed ({process.returncode}):\n{''.join(lines)}")
    marks["total"] = time.monotonic() - started
    return marks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(REPOSITORY / ".build/release/videoseg"))
    parser.add_argument("--counts", type=int, nargs=2, default=[12, 24])
    parser.add_argument("--seconds", type=float, default=1.0)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="videoseg-ray-bench-"))
    small, large = arguments.counts
    for count in (small, large):
        make_clips(work / f"clips{count}", count, arguments.seconds)
    results: Dict[str, Dict[int, Dict[str, float]]] = {}
    for jobs in (1, 2):
        results[f"videoseg batch --jobs {jobs}"] = {
            count: timed([arguments.binary, "batch", str(work / f"clips{count}"), "--output-dir",
                          str(work / f"batch{jobs}-{count}"), "--jobs", str(jobs), "--threads", str(jobs), "-q"])
            for count in (small, large)}

    from ray.cluster_utils import Cluster
    started = time.monotonic()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    startup = time.monotonic() - started
    driver = str(Path(sys.executable).parent / "videoseg-ray")
    rerun = 0.0
    try:
        for workers in (1, 2):
            if workers == 2:
                cluster.add_node(num_cpus=1)
                cluster.wait_for_nodes()
            results[f"videoseg-ray, {workers} worker{'s' if workers > 1 else ''} x 1 CPU"] = {
                count: timed([driver, str(work / f"clips{count}"), "--output-dir", str(work / f"ray{workers}-{count}"),
                              "--address", cluster.address, "--binary", arguments.binary])
                for count in (small, large)}
        rerun = timed([driver, str(work / f"clips{large}"), "--output-dir", str(work / f"ray2-{large}"),
                       "--address", cluster.address, "--binary", arguments.binary])["total"]
    finally:
        cluster.shutdown()
    print(f"clips of {arguments.seconds:g} s, 720p, default model, {os.cpu_count()} cores; {small} and {large} clips, one run")
    print(f"{'':36} {'T(' + str(small) + ')':>8} {'T(' + str(large) + ')':>8} {'marginal':>9} {'fixed':>7}")
    for name, runs in results.items():
        marginal = (runs[large]["total"] - runs[small]["total"]) / (large - small)
        fixed = runs[small]["total"] - small * marginal
        print(f"{name:36} {runs[small]['total']:7.1f}s {runs[large]['total']:7.1f}s {marginal:8.3f}s {fixed:6.1f}s")
        if "connected" in runs[small] and name.startswith("videoseg-ray"):
            print(f"{'':4}driver planned and connected after {runs[small]['connected']:.1f} s, first video done after "
                  f"{runs[small].get('first video', 0):.1f} s ({small} clips)")
    print(f"videoseg-ray rerun of {large} (all skipped): {rerun:.1f} s")
    print(f"(the local cluster's start-up, apart: {startup:.1f} s)")


if __name__ == "__main__":
    main()
