"""videoseg-ray on a real local Ray cluster: a head and two worker nodes, one CPU each.

The tests share one cluster (starting it is the slow part) and run in file order.
"""

import fcntl
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import decoded, leftovers, make_clips

TIMEOUT = 240
# The default H.264 video (x264) and the masks, compared byte for byte with `segment` alone.
COMPARED = ("--masks", "m", "--mask-format", "npy")


def run_driver(driver, cluster, binary, inputs, output, *options, cwd=None):
    command = [driver, *map(str, inputs), "--output-dir", str(output), "--address", cluster.address,
               "--binary", binary, "--", *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd)


def report(output: Path) -> list:
    return [json.loads(line) for line in (output / "batch-report.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return make_clips(tmp_path_factory.mktemp("short") / "clips", count=6, seconds=1, rate=10)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The same clips through `videoseg batch` and through the driver (made once)."""
    return tmp_path_factory.mktemp("outputs")


def same_tree(ours: Path, theirs: Path, name: str) -> None:
    """The video and masks of `name` in `ours` are those in `theirs`, byte for byte."""
    video = f"{name}.segmented.mp4"
    assert (ours / video).read_bytes() == (theirs / video).read_bytes(), video
    masks = sorted(path.name for path in (theirs / f"{name}.masks").iterdir())
    assert masks and sorted(path.name for path in (ours / f"{name}.masks").iterdir()) == masks
    for mask in masks:  # the masks, labels.json and manifest.jsonl
        assert (ours / f"{name}.masks" / mask).read_bytes() == (theirs / f"{name}.masks" / mask).read_bytes(), mask


def test_the_driver_writes_what_segment_writes_alone(driver, cluster, binary, model, clips, outputs):
    """Warm workers (a videoseg each, many videos) write what `segment` writes for each video
    alone, and what a local batch writes: the same bytes (H.264 included) wherever a video ran."""
    alone, local, distributed = outputs / "alone", outputs / "local", outputs / "ray"
    alone.mkdir()
    for index in range(6):
        single = subprocess.run([binary, "segment", str(clips / f"clip{index}.mp4"), "-o", str(alone / f"clip{index}.segmented.mp4"),
                                 "--model", model, "--threads", "1", "--masks", str(alone / f"clip{index}.masks"),
                                 "--mask-format", "npy"], capture_output=True, text=True, timeout=TIMEOUT)
        assert single.returncode == 0, single.stderr
    batch = subprocess.run([binary, "batch", str(clips), "--output-dir", str(local), "--model", model, "--jobs", "2",
                            "--threads", "2", *COMPARED], capture_output=True, text=True, timeout=TIMEOUT)
    assert batch.returncode == 0, batch.stderr
    run = run_driver(driver, cluster, binary, [clips], distributed, "--model", model, *COMPARED)
    assert run.returncode == 0, run.stderr

    ours, theirs = report(distributed), report(local)
    assert [line["input"] for line in ours] == [line["input"] for line in theirs]
    assert [line["status"] for line in ours] == ["done"] * 6
    assert [line["frames"] for line in ours] == [line["frames"] for line in theirs] == [10] * 6
    assert set(ours[0]) >= {"input", "status", "error", "outputs", "frames", "seconds", "fps"}
    for index in range(6):
        same_tree(distributed, alone, f"clip{index}")
        same_tree(local, alone, f"clip{index}")
        assert (distributed / f"clip{index}.videoseg-done.json").exists()
    assert leftovers(distributed) == []


def test_a_rerun_does_no_work(driver, cluster, binary, model, clips, outputs):
    distributed = outputs / "ray"
    before = {path.name: path.stat().st_mtime_ns for path in distributed.glob("*.segmented.mp4")}
    run = run_driver(driver, cluster, binary, [clips], distributed, "--model", model, *COMPARED)
    assert run.returncode == 0, run.stderr
    assert [line["status"] for line in report(distributed)] == ["skipped"] * 6
    assert {path.name: path.stat().st_mtime_ns for path in distributed.glob("*.segmented.mp4")} == before
    # A local batch accepts the driver's done-records too.
    batch = subprocess.run([binary, "batch", str(clips), "--output-dir", str(distributed), "--model", model, *COMPARED],
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert "6 skipped" in batch.stderr, batch.stderr


def test_a_worker_waits_while_another_run_holds_its_video(driver, cluster, binary, model, clips, tmp_path):
    """Another live run at clip0 (here: the test, holding the video's lock) delays it, then it is done."""
    output = tmp_path / "out"
    output.mkdir()
    lock = open(output / ".clip0.videoseg-lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    released = []

    def release():
        # Let go only once the other video is done (clip0 was refused by then, or is waiting
        # for its turn), however slow the machine.
        deadline = time.monotonic() + TIMEOUT
        while not (output / "clip1.videoseg-done.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        released.append(time.time())
        lock.close()
    releaser = threading.Thread(target=release)
    releaser.start()
    try:
        run = run_driver(driver, cluster, binary, [clips / "clip0.mp4", clips / "clip1.mp4"], output, "--model", model)
    finally:
        releaser.join()
    assert run.returncode == 0, run.stderr
    assert [line["status"] for line in report(output)] == ["done", "done"]
    assert (output / "clip0.videoseg-done.json").stat().st_mtime > released[0]
    assert leftovers(output) == []


def children(pid: int) -> list:
    """The processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.isdigit() and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def videoseg_below(pid: int) -> list:
    """The videoseg processes among the grandchildren of `pid` (raylet → Ray worker → videoseg)."""
    found = []
    for worker in children(pid):
        for child in children(worker):
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == "videoseg":
                    found.append(child)
            except OSError:
                pass
    return found


def is_gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def fresh_videoseg(nodes, output: Path):
    """A poll for a videoseg on one of `nodes` that has just begun a video (one it was not on when
    the poll began), so that it has most of the video still to do when the test kills it or its
    node: (node, pid, video index), or None."""
    raylets = {node: node.all_processes["raylet"][0].process.pid for node in nodes}
    seen = {(pid, locked_video(pid)) for raylet in raylets.values() for pid in videoseg_below(raylet)}

    def poll():
        for node, raylet in raylets.items():
            for pid in videoseg_below(raylet):
                index = locked_video(pid)
                if index is not None and (pid, index) not in seen and not (output / f"clip{index}.videoseg-done.json").exists():
                    return node, pid, index
                seen.add((pid, index))
        return None
    return poll


def locked_video(pid: int):
    """The video a serving videoseg works on now: the clip whose lock file it holds (None: none)."""
    try:
        for descriptor in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
            name = os.path.basename(target)
            if name.startswith(".clip") and name.endswith(".videoseg-lock"):
                return int(name[len(".clip"):-len(".videoseg-lock")])
    except (OSError, ValueError):
        pass
    return None


def videoseg_on_nodes(cluster) -> list:
    """The videoseg processes of the actors on every node, the head's included."""
    return [pid for node in [cluster.head_node, *cluster.workers]
            for pid in videoseg_below(node.all_processes["raylet"][0].process.pid)]


def check_complete(clips: Path, output: Path, lines: list) -> None:
    """Every video has its report line and every output its full length."""
    frame = 96 * 64 * 3 // 2
    assert len(lines) == len(list(clips.glob("*.mp4")))
    for index, line in enumerate(lines):
        frames = len(decoded(str(clips / f"clip{index}.mp4"))) // frame
        assert line["frames"] == frames and frames >= 99
        assert len(decoded(str(output / f"clip{index}.segmented.mp4"))) == frames * frame


def start_driver(driver, cluster, binary, model, clips: Path, output: Path) -> subprocess.Popen:
    command = [driver, str(clips), "--output-dir", str(output), "--address", cluster.address, "--binary", binary,
               "--", "--model", model]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_killed_videoseg_is_restarted_and_its_video_done_again(driver, cluster, binary, model, tmp_path):
    """SIGKILL a worker's videoseg mid-video: its actor starts another, which does the video again
    (taking over the dead one's lock and partial file); every video done once, nothing left over."""
    clips = make_clips(tmp_path / "clips", count=6, seconds=4, rate=25)
    output = tmp_path / "out"
    process = start_driver(driver, cluster, binary, model, clips, output)
    try:
        wait_for(lambda: list(output.glob("*.videoseg-done.json")), 120, "the first video to finish")
        _, pid, lost = wait_for(fresh_videoseg([cluster.head_node, *cluster.workers], output), 60, "a videoseg beginning a video")
        killed = time.time()
        os.kill(pid, 9)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    lines = report(output)
    assert [line["status"] for line in lines] == ["done"] * 6, stderr
    assert (output / f"clip{lost}.videoseg-done.json").stat().st_mtime > killed
    check_complete(clips, output, lines)
    assert leftovers(output) == []


def test_a_killed_driver_leaves_nothing_partial_and_a_rerun_completes(driver, cluster, binary, model, tmp_path):
    """SIGKILL the driver mid-run: its workers stop with it (nothing partial under a real name);
    the rerun removes the dead run's folder, does only what was not done, and reports every video."""
    clips = make_clips(tmp_path / "clips", count=6, seconds=4, rate=25)
    output = tmp_path / "out"
    process = start_driver(driver, cluster, binary, model, clips, output)
    try:
        wait_for(lambda: list(output.glob("*.videoseg-done.json")), 120, "the first video to finish")
        process.kill()
        process.wait()
    finally:
        process.kill()
    wait_for(lambda: not videoseg_on_nodes(cluster), 60, "the killed driver's workers to stop")
    finished = {path.name[:-len(".videoseg-done.json")] for path in output.glob("*.videoseg-done.json")}
    assert finished and len(finished) < 6
    # A video killed between its output's rename and its done record (written after, so a record
    # never names a missing output) has its whole output and no record: the rerun does it again.
    # Nothing partial has a real name.
    written = {path.name[:-len(".segmented.mp4")] for path in output.glob("*.segmented.mp4")}
    assert finished <= written
    for stem in written - finished:
        assert len(decoded(str(output / f"{stem}.segmented.mp4"))) == len(decoded(str(clips / f"{stem}.mp4")))
    assert list((output / ".videoseg-ray").glob("run-*")), "the killed driver removed its folder?"

    rerun = run_driver(driver, cluster, binary, [clips], output, "--model", model)
    assert rerun.returncode == 0, rerun.stderr
    lines = report(output)
    assert [line["status"] for line in lines] == ["skipped" if f"clip{index}" in finished else "done" for index in range(6)]
    check_complete(clips, output, lines)
    assert leftovers(output) == []
    assert not (output / ".videoseg-ray").exists()


def test_a_lost_worker_node_costs_only_time(driver, cluster, binary, model, tmp_path):
    """Kill a worker node while its actor works: its videoseg dies with it, the video goes to
    another worker, and every video is done once, with nothing partial left."""
    clips = make_clips(tmp_path / "clips", count=6, seconds=4, rate=25)
    output = tmp_path / "out"
    process = start_driver(driver, cluster, binary, model, clips, output)
    try:
        wait_for(lambda: list(output.glob("*.videoseg-done.json")), 120, "the first video to finish")
        node, pid, lost = wait_for(fresh_videoseg(cluster.workers, output), 60, "a videoseg beginning a video on a worker node")
        killed = time.time()
        cluster.remove_node(node, allow_graceful=False)
        cluster.workers.remove(node)
        wait_for(lambda: is_gone(pid), 30, f"videoseg {pid} to die with its worker")
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    lines = report(output)
    # The lost video is done again after its first attempt died, or, when that attempt had just
    # finished it as its node went, its retry finds it done (skipped): either way, done once.
    statuses = [line["status"] for line in lines]
    assert statuses[:lost] + statuses[lost + 1:] == ["done"] * 5 and statuses[lost] in ("done", "skipped"), stderr
    if statuses[lost] == "done":
        assert (output / f"clip{lost}.videoseg-done.json").stat().st_mtime > killed
    check_complete(clips, output, lines)
    assert leftovers(output) == []
