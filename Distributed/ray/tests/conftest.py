"""Shared fixtures: the built videoseg, the test model, short clips, and a real local Ray cluster."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]
# Debian's python3-torch lives in the system Python; the Ray venv has no torch.
TORCH_PYTHON = os.environ.get("VIDEOSEG_TORCH_PYTHON", "/usr/bin/python3")


@pytest.fixture(scope="session")
def binary() -> str:
    """The videoseg that `swift build` made (or VIDEOSEG_BINARY)."""
    path = os.environ.get("VIDEOSEG_BINARY") or str(REPOSITORY / ".build" / "debug" / "videoseg")
    assert os.access(path, os.X_OK), f"build videoseg first (swift build): no {path}"
    return path


@pytest.fixture(scope="session")
def driver() -> str:
    """The installed `videoseg-ray` command, beside this Python."""
    path = Path(sys.executable).parent / "videoseg-ray"
    assert path.exists(), f"install the package first (bash Distributed/ray/setup.sh): no {path}"
    return str(path)


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> str:
    """The deterministic channel model (a pixel's class is its largest RGB channel)."""
    path = tmp_path_factory.mktemp("model") / "channels.pt"
    subprocess.run([TORCH_PYTHON, str(Path(__file__).parent / "make_channel_model.py"), str(path)], check=True)
    return str(path)


def make_clips(folder: Path, count: int, seconds: float, rate: int) -> Path:
    """`count` short 96x64 clips with FFmpeg's test pattern, each with another start."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=96x64:rate={rate}", "-ss", str(index * 0.3), "-t", str(seconds),
                        "-c:v", "libx264", str(folder / f"clip{index}.mp4")], check=True)
    return folder


@pytest.fixture(scope="module")
def cluster():
    """A head and two worker nodes, one CPU each (starting them takes most of the tests' time)."""
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    cluster.workers = workers
    yield cluster
    cluster.shutdown()


def decoded(path: str) -> bytes:
    """Every frame of a video, decoded to raw YUV."""
    return subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                          check=True, capture_output=True).stdout


def leftovers(folder: Path) -> list:
    """Files a finished run must not leave: partial files, locks, the driver's work folder."""
    return [str(path) for path in folder.rglob("*")
            if "videoseg-partial" in path.name or "videoseg-lock" in path.name or path.name == ".videoseg-ray"]

