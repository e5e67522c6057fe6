"""Hands the videos to warm workers (actors), one at a time each, as they come free.

An actor gets videos only once it has started (its `warm` answered): one that cannot be placed
(no CPUs left after a node was lost) never holds a video up. An actor that dies (its node lost,
its process killed) is replaced, and its video goes to the front of the queue for another one;
the batch's locks and done-records make the second attempt safe however far the first one got.
"""

import collections
import os
import signal
import sys
import time
from typing import Deque, Dict, List, Optional, Sequence, Tuple

import ray

from .plan import PlannedVideo, is_url
from .report import progress_line, write_report
from .worker import STOP_GRACE, VideoWorker, WorkerJob, failed

# The report is rewritten at most this often while the run goes on (and at its end).
REPORT_INTERVAL = 5.0
# A video whose worker died under it this many times is reported failed rather than tried again.
MAX_LOST = 3


class Dispatcher:
    """One run's actors and queue; `run` returns the outcomes in input order (None: never
    finished) and whether the run was stopped (Ctrl-C, SIGTERM)."""

    def __init__(self, job: WorkerJob, plan: Sequence[PlannedVideo], cpus: int, report: str):
        self.job, self.plan, self.cpus, self.report = job, plan, cpus, report
        self.outcomes: List[Optional[Dict]] = [None] * len(plan)
        self.queue: Deque[int] = collections.deque(range(len(plan)))
        self.lost: Dict[int, int] = collections.Counter()
        self.starting: Dict = {}  # warm() reference -> actor
        self.running: Dict = {}  # run() reference -> (actor, video index)
        self.idle: List = []
        self.size = min(len(plan), max(1, int(ray.cluster_resources().get("CPU", 0) // cpus)))
        self.replacements = len(plan) + self.size  # a bound on replacing dead actors

    def run(self) -> Tuple[List[Optional[Dict]], bool]:
        started = written = time.monotonic()
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            for _ in range(self.size):
                self._start_actor()
            while self.queue or self.running:
                self._hand_out()
                waiting = list(self.running) + list(self.starting)
                if not waiting:
                    self._give_up("no worker could be started")
                    break
                ready, _ = ray.wait(waiting, num_returns=1, timeout=1.0)
                if ready:  # and any others that are ready now too
                    ready, _ = ray.wait(waiting, num_returns=len(waiting), timeout=0)
                finished = [self._settle(reference) for reference in ready]
                if any(finished):
                    print(progress_line(self.outcomes, time.monotonic() - started), file=sys.stderr)
                    if time.monotonic() - written > REPORT_INTERVAL:
                        write_report(self.report, self.outcomes)
                        written = time.monotonic()
        except KeyboardInterrupt:
            self._stop()
            return self.outcomes, True
        finally:
            signal.signal(signal.SIGTERM, previous)
            self._kill_all()
        return self.outcomes, False

    def _start_actor(self) -> None:
        if self.replacements <= 0:
            return
        self.replacements -= 1
        actor = VideoWorker.options(num_cpus=self.cpus).remote(self.job)
        self.starting[actor.warm.remote()] = actor

    def _hand_out(self) -> None:
        while self.idle and self.queue:
            actor, index = self.idle.pop(), self.queue.popleft()
            video = self.plan[index]
            source = video.input if is_url(video.input) else _absolute(video.input, self.job.cwd)
            self.running[actor.run.remote(source, video.name)] = (actor, index)

    def _settle(self, reference) -> bool:
        """Takes one ready reference; true when a video got its outcome."""
        if reference in self.starting:
            actor = self.starting.pop(reference)
            try:
                ray.get(reference)
                self.idle.append(actor)
            except ray.exceptions.RayError:
                self._replace(actor)
            return False
        actor, index = self.running.pop(reference)
        video = self.plan[index]
        try:
            outcome = ray.get(reference)
        except ray.exceptions.RayActorError as error:
            self._replace(actor)
            return self._lost(index, _first_line(error))
        except ray.exceptions.RayError as error:
            outcome = failed(video.input, f"{video.input}: the worker failed: {_first_line(error)}")
        self.idle.append(actor)
        if outcome.get("status") == "stopped":
            # Its videoseg was stopped by someone else's signal; it removed what it had begun.
            return self._lost(index, outcome.get("error") or "videoseg was stopped by a signal on its node")
        outcome["input"] = video.input  # as the command line gave it, as batch reports it
        outcome.setdefault("error", None)  # batch leaves it out when there is none; the report always has it
        self.outcomes[index] = outcome
        return True

    def _lost(self, index: int, cause: str) -> bool:
        """Video `index` lost its worker: queued again (first), or failed once that happened too often."""
        self.lost[index] += 1
        if self.lost[index] < MAX_LOST:
            self.queue.appendleft(index)
            return False
        video = self.plan[index]
        self.outcomes[index] = failed(video.input, f"{video.input}: its worker was lost {MAX_LOST} times, last: {cause}")
        return True

    def _replace(self, actor) -> None:
        ray.kill(actor, no_restart=True)
        self._start_actor()

    def _give_up(self, cause: str) -> None:
        for index in self.queue:
            self.outcomes[index] = failed(self.plan[index].input, f"{self.plan[index].input}: {cause}")
        self.queue.clear()

    def _stop(self) -> None:
        """Stops every worker's videoseg (its unfinished video leaves no outputs) and waits for
        them; a second Ctrl-C ends the wait (the actors' end then stops them, see die_with_parent)."""
        print("videoseg-ray: stopping; unfinished videos leave no outputs", file=sys.stderr)
        busy = [actor for actor, _ in self.running.values()]
        try:
            ray.wait([actor.stop.remote() for actor in busy], num_returns=len(busy), timeout=STOP_GRACE + 5)
        except KeyboardInterrupt:
            pass

    def _kill_all(self) -> None:
        actors = self.idle + list(self.starting.values()) + [actor for actor, _ in self.running.values()]
        for actor in actors:
            ray.kill(actor, no_restart=True)


def _absolute(path: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, path))


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
