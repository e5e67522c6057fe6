"""Figures: the Ray driver on a local cluster (a head with no CPUs and two worker nodes with one
CPU each) against `videoseg batch --jobs 2`, on the same clips (the sample cut into 2 s pieces,
720p, the default model), in one run.

    .venv-ray/bin/python Distributed/ray/benchmark.py [--binary .build/release/videoseg] [--clips 20]

Prints seconds for each, and the cluster's start-up apart (a real cluster is already up).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def make_clips(folder: Path, count: int, seconds: float) -> None:
    """`count` clips of `seconds` from the 10 s sample, starting at different points."""
    folder.mkdir(parents=True)
    for index in range(count):
        start = (index * 1.3) % (10 - seconds)
        subprocess.run(["ffmpeg", "-v", "error", "-ss", f"{start:.2f}", "-i", str(REPOSITORY / "Samples/sample.mp4"),
                        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-c:a", "copy",
                        str(folder / f"clip{index:02}.mp4")], check=True)


def timed(command) -> float:
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed ({result.returncode}):\n{result.stderr}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(REPOSITORY / ".build/release/videoseg"))
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="videoseg-ray-bench-"))
    make_clips(work / "clips", arguments.clips, arguments.seconds)
    batch = timed([arguments.binary, "batch", str(work / "clips"), "--output-dir", str(work / "batch"), "--jobs", "2", "-q"])

    from ray.cluster_utils import Cluster
    started = time.monotonic()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    startup = time.monotonic() - started
    driver = str(Path(sys.executable).parent / "videoseg-ray")
    try:
        distributed = timed([driver, str(work / "clips"), "--output-dir", str(work / "ray"),
                             "--address", cluster.address, "--binary", arguments.binary])
        rerun = timed([driver, str(work / "clips"), "--output-dir", str(work / "ray"),
                       "--address", cluster.address, "--binary", arguments.binary])
    finally:
        cluster.shutdown()
    count = arguments.clips
    print(f"{count} clips of {arguments.seconds:g} s, 720p, default model, {os.cpu_count()} cores")
    print(f"videoseg batch --jobs 2:              {batch:6.1f} s  ({batch / count:.2f} s a video)")
    print(f"videoseg-ray, 2 workers x 1 CPU:      {distributed:6.1f} s  ({distributed / count:.2f} s a video)")
    print(f"videoseg-ray rerun (all skipped):     {rerun:6.1f} s")
    print(f"(the local cluster's start-up, apart: {startup:6.1f} s)")


if __name__ == "__main__":
    main()
