"""One Ray task: one video, by the `videoseg` binary installed on the task's node."""

import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import ray

# What `videoseg` says when another live run holds a video's lock (Swift's RunLock and VideoLock).
LOCK_BUSY = "another videoseg run is writing it now"
PR_SET_PDEATHSIG = 1

# Resolved here, before any fork: the child between fork and exec must not load libraries (a
# Ray worker has threads, and one of them may hold the loader's lock at the fork).
_prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl


@dataclass(frozen=True)
class VideoJob:
    """What every task of a run shares; a task adds its index."""

    binary: str
    list_file: str
    output_dir: str
    count: int
    work_dir: str
    options: Tuple[str, ...]
    cwd: str
    lock_wait: float

    def command(self, index: int, report: str) -> List[str]:
        """`videoseg batch` for the one video at `index`: share `index` of `count` shares. It does
        not wait for a video another run holds (`--lock-wait 0`): the task waits and retries
        itself, up to `lock_wait` (see `run_waiting_for_lock`)."""
        return [self.binary, "batch", "--list", self.list_file, "--output-dir", self.output_dir,
                "--shard", f"{index}/{self.count}", "--report", report, "--lock-wait", "0", "-q", *self.options]


def die_with_parent(parent: int) -> Callable[[], None]:
    """A `preexec_fn` that has the kernel SIGKILL the child when its parent dies.

    A Ray worker that dies (its node lost, the task cancelled, the driver gone) must not leave a
    `videoseg` running on: it would go on writing a video that a retry elsewhere is about to
    write. The death signal follows the thread that forked, which here is the one that waits.
    """
    def arrange() -> None:
        if _prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:
            # The parent died before the signal was arranged: nobody would have sent it.
            os._exit(137)
    return arrange


def failed(input_: str, error: str) -> Dict:
    """A report line for a video that has no line of its own from `videoseg`."""
    return {"input": input_, "outputs": [], "status": "failed", "frames": 0, "seconds": 0.0, "fps": 0.0,
            "error": error}


def run_once(job: VideoJob, index: int, source: str) -> Dict:
    """Runs `videoseg` on video `index` (`source`, for messages) and returns its report line."""
    report = os.path.join(job.work_dir, f"task-{index}-{uuid.uuid4().hex}.jsonl")  # one per attempt
    process = subprocess.Popen(job.command(index, report), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, cwd=job.cwd if os.path.isdir(job.cwd) else None,
                               preexec_fn=die_with_parent(os.getpid()))
    stderr = wait_stopping_on_cancel(process)
    lines = read_report(report)
    if len(lines) == 1:
        return lines[0]
    message = stderr.decode("utf-8", "replace").strip()[-2000:]
    return failed(source, f"{source}: videoseg exited with {process.returncode} on {os.uname().nodename} "
                          f"and reported {len(lines)} videos, not one: {message}")


def wait_stopping_on_cancel(process: subprocess.Popen) -> bytes:
    """Waits for `process` and returns its stderr. When the task is cancelled (Ray raises
    KeyboardInterrupt in it), videoseg gets SIGTERM first: it stops as on Ctrl-C and removes what
    it had started, rather than being killed with its worker and leaving hidden partial files."""
    try:
        while True:
            try:
                # A timeout, so that a cancel is seen while videoseg runs.
                return process.communicate(timeout=1.0)[1]
            except subprocess.TimeoutExpired:
                continue
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


def read_report(path: str) -> List[Dict]:
    """The lines of a task's report, which is removed (the driver keeps what it returns)."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = [json.loads(line) for line in file if line.strip()]
    except FileNotFoundError:
        return []
    os.unlink(path)
    return lines


def run_waiting_for_lock(job: VideoJob, index: int, source: str) -> Dict:
    """Runs video `index`, again while another live run holds its lock, up to `lock_wait` seconds.

    That run is most often this task's own earlier attempt on a lost node, whose process dies
    within moments; when it finished the video instead, the next try finds it done (skipped).
    """
    deadline = time.monotonic() + job.lock_wait
    delay = 0.5
    while True:
        outcome = run_once(job, index, source)
        busy = outcome.get("status") == "failed" and LOCK_BUSY in (outcome.get("error") or "")
        if not busy or time.monotonic() + delay > deadline:
            return outcome
        time.sleep(delay)
        delay = min(delay * 2, 10.0)


@ray.remote(num_cpus=1, max_retries=3)
def run_video(job: VideoJob, index: int, source: str) -> Dict:
    """The Ray task: a lost worker or node has Ray run it again elsewhere (`max_retries`)."""
    return run_waiting_for_lock(job, index, source)

