"""A warm worker: a Ray actor holding one long-lived `videoseg batch --serve` on its node.

The process loads and prepares the model with its first video and keeps it for the rest, so a
video costs on the cluster what it costs in one `videoseg batch`. Each video is one JSON line to
the process and one report line back; the process does it exactly as `videoseg batch` would (its
lock, its done-record, skipped when done), so the driver needs no bookkeeping of its own for
exactly-once: a video retried elsewhere after a lost node finds it done, or redoes it.
"""

import ctypes
import ctypes.util
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import ray

# What `videoseg` says when another live run holds a video's lock (Swift's RunLock and VideoLock).
LOCK_BUSY = "another videoseg run is writing it now"
PR_SET_PDEATHSIG = 1
# How long a stopped videoseg gets to remove what it had started before it is killed.
STOP_GRACE = 30.0

# Resolved here, before any fork: the child between fork and exec must not load libraries (a
# Ray worker has threads, and one of them may hold the loader's lock at the fork).
_prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl


@dataclass(frozen=True)
class WorkerJob:
    """What every worker of a run shares."""

    binary: str
    output_dir: str
    options: Tuple[str, ...]
    cwd: str
    lock_wait: float

    def command(self):
        """The serving `videoseg`: every video of the run goes through one of these."""
        return [self.binary, "batch", "--serve", "--output-dir", self.output_dir, "--lock-wait", "0", "-q", *self.options]


def die_with_parent(parent: int, death_signal: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` that has the kernel send `death_signal` to the child when its parent dies.

    A worker that dies (its node lost, the driver gone and its actors with it) must not leave a
    `videoseg` running on. SIGTERM rather than SIGKILL: videoseg then stops as on Ctrl-C, removes
    the partial files of the video it was writing and lets go of its lock, so a killed driver
    leaves nothing half-written behind. The death signal follows the thread that forked.
    """
    def arrange() -> None:
        if _prctl(PR_SET_PDEATHSIG, int(death_signal), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:
            # The parent died before the signal was arranged: nobody would have sent it.
            os._exit(137)
    return arrange


def failed(input_: str, error: str) -> Dict:
    """A report line for a video that has no line of its own from `videoseg`."""
    return {"input": input_, "outputs": [], "status": "failed", "frames": 0, "seconds": 0.0, "fps": 0.0,
            "error": error}


class Server:
    """One `videoseg batch --serve` process: a job line in, a report line out, restarted when it dies."""

    def __init__(self, job: WorkerJob):
        self.job = job
        self.process: Optional[subprocess.Popen] = None
        self.stderr = None
        self.lock = threading.Lock()  # the process being replaced or stopped
        self.stopping = False
        self.starts = 0

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        # Its messages go to a file: a pipe nobody reads would fill and block it.
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            self.job.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            cwd=self.job.cwd if os.path.isdir(self.job.cwd) else None, preexec_fn=die_with_parent(os.getpid()))
        self.starts += 1

    def ask(self, request: Dict) -> Optional[Dict]:
        """The process's answer to `request`, or None when it died before answering."""
        with self.lock:
            if self.stopping:
                return {"status": "stopped", "error": "the worker was stopped"}
            self.start()
            process = self.process
        try:
            process.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            process.stdin.flush()
            line = process.stdout.readline()
        except (BrokenPipeError, ValueError, OSError):
            line = b""
        return json.loads(line) if line.strip() else None

    def death(self) -> str:
        """Why the process ended (its exit and the end of its messages); it is reaped and forgotten."""
        process, self.process = self.process, None
        if process is None:
            return "videoseg was not running"
        try:
            process.kill()
        except OSError:
            pass
        code = process.wait()
        self.stderr.seek(0)
        message = self.stderr.read().decode("utf-8", "replace").strip()[-2000:]
        how = f"was killed by signal {-code}" if code < 0 else f"exited with {code}"
        return f"videoseg {how} on {os.uname().nodename}" + (f": {message}" if message else "")

    def stop(self) -> None:
        """Asks the process to stop (its video, if any, is removed) and waits for it to end."""
        with self.lock:
            self.stopping = True
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()


@ray.remote(num_cpus=1, max_restarts=0, max_concurrency=2)
class VideoWorker:
    """The actor: one video at a time through its own `videoseg`; `stop` may come while one runs
    (hence two threads: `run` waits on the process, `stop` signals it)."""

    def __init__(self, job: WorkerJob):
        self.server = Server(job)
        self.job = job

    def warm(self) -> Dict:
        """Starts videoseg; returns where the actor runs (the driver hands videos only to warm actors)."""
        started = time.monotonic()
        self.server.start()
        return {"node": os.uname().nodename, "pid": self.server.process.pid, "seconds": time.monotonic() - started}

    def run(self, source: str, name: str) -> Dict:
        """Video `source` with outputs named `name`: its report line. While another live run holds
        the video (most often this video's own attempt on a lost node, dying within moments) it is
        tried again, up to the run's lock wait; then that run's outcome (done: skipped) counts."""
        deadline = time.monotonic() + self.job.lock_wait
        delay = 0.5
        while True:
            outcome = self.once(source, name)
            busy = outcome.get("status") == "failed" and LOCK_BUSY in (outcome.get("error") or "")
            if not busy or time.monotonic() + delay > deadline:
                return outcome
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def once(self, source: str, name: str) -> Dict:
        """One try; a videoseg that dies on the video (killed, crashed) is restarted and the video
        tried once more (its lock died with it), then it counts as failed."""
        for attempt in range(2):
            answer = self.server.ask({"input": source, "name": name})
            if answer is not None:
                answer.pop("id", None)
                return answer
            cause = self.server.death()
            if self.server.stopping:
                return {"status": "stopped", "error": cause}
        return failed(source, f"{source}: {cause}")

    def stop(self) -> None:
        self.server.stop()

    def pid(self) -> Optional[int]:
        """The serving videoseg's process id (tests kill it)."""
        return self.server.process.pid if self.server.process is not None else None
