"""The run: plan the inputs, send one Ray task per video, merge the tasks' report lines."""

import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import Dict, List, Optional, Sequence, Tuple

import ray

from .plan import PlannedVideo, batch_plan, check_frozen, freeze
from .report import current_umask, progress_line, summarize, write_report
from .task import VideoJob, failed, run_video

# Where the tasks' own reports and the frozen input list live, below the output folder (which
# every node sees); removed when the run ends.
WORK_FOLDER = ".videoseg-ray"
# The report is rewritten at most this often while the run goes on (and at its end).
REPORT_INTERVAL = 5.0


def run(arguments) -> int:
    """Runs the whole batch; returns the exit code (0 all done or skipped, 2 some failed, 130 stopped)."""
    started = time.monotonic()
    output_dir = os.path.abspath(arguments.output_dir)
    plan = batch_plan(arguments.binary, arguments.inputs, arguments.list, output_dir, arguments.options)
    os.makedirs(output_dir, exist_ok=True)
    report = os.path.join(output_dir, "batch-report.jsonl")
    work = tempfile.mkdtemp(prefix="run-", dir=_work_root(output_dir))
    os.chmod(work, 0o777 & ~current_umask())  # mkdtemp's 0700 would shut out workers running as another user
    try:
        job = _job(arguments, plan, output_dir, work)
        outcomes, stopped = [], False
        if plan:
            _connect(arguments.address)
            print(f"videoseg-ray: {len(plan)} videos, {_cluster_size()}", file=sys.stderr)
            outcomes, stopped = _run_tasks(job, plan, arguments.cpus_per_task, report)
    finally:
        _remove_work(work)
    write_report(report, outcomes)
    code = summarize(outcomes, report, time.monotonic() - started)
    return 130 if stopped else code


def _work_root(output_dir: str) -> str:
    root = os.path.join(output_dir, WORK_FOLDER)
    os.makedirs(root, exist_ok=True)
    return root


def _remove_work(work: str) -> None:
    """Removes this run's work folder, and the shared one above it if no other run uses it."""
    shutil.rmtree(work, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(work))
    except OSError:
        pass


def _job(arguments, plan: Sequence[PlannedVideo], output_dir: str, work: str) -> VideoJob:
    """What the tasks share; the inputs are frozen into a list first, and checked to keep their names."""
    list_file = os.path.join(work, "inputs.txt")
    freeze(plan, list_file)
    check_frozen(plan, batch_plan(arguments.binary, [], list_file, output_dir, arguments.options))
    return VideoJob(binary=arguments.binary, list_file=list_file, output_dir=output_dir, count=len(plan),
                    work_dir=work, options=tuple(arguments.options), cwd=os.getcwd(),
                    lock_wait=arguments.lock_wait)


def _connect(address: Optional[str]) -> None:
    """Joins the cluster at `address` (or RAY_ADDRESS, or the one started on this machine, or a new local one)."""
    ray.init(address=address, logging_level=logging.WARNING)


def _cluster_size() -> str:
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    return f"{ray.cluster_resources().get('CPU', 0):g} CPUs on {len(nodes)} nodes"


def _run_tasks(job: VideoJob, plan: Sequence[PlannedVideo], cpus: int,
               report: str) -> Tuple[List[Optional[Dict]], bool]:
    """Runs a task per video; returns the outcomes in input order (None: never finished) and
    whether the run was stopped (Ctrl-C, SIGTERM), in which case the other tasks are cancelled."""
    remote = run_video.options(num_cpus=cpus)
    pending = {remote.remote(job, index, video.input): index for index, video in enumerate(plan)}
    outcomes: List[Optional[Dict]] = [None] * len(plan)
    started = written = time.monotonic()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=1.0)
            for reference in ready:
                index = pending.pop(reference)
                outcomes[index] = _settle(reference, plan[index])
                print(progress_line(outcomes, time.monotonic() - started), file=sys.stderr)
            if ready and time.monotonic() - written > REPORT_INTERVAL:
                write_report(report, outcomes)
                written = time.monotonic()
    except KeyboardInterrupt:
        _cancel(list(pending))
        return outcomes, True
    finally:
        signal.signal(signal.SIGTERM, previous)
    return outcomes, False


def _cancel(references: List) -> None:
    """Cancels the unfinished tasks and gives their videoseg a moment to stop cleanly; a second
    Ctrl-C ends the wait (the driver's exit then kills them, see task.die_with_parent)."""
    print("videoseg-ray: stopping; unfinished videos leave no outputs", file=sys.stderr)
    for reference in references:
        ray.cancel(reference)
    try:
        ray.wait(references, num_returns=len(references), timeout=30)
    except KeyboardInterrupt:
        pass


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _settle(reference, video: PlannedVideo) -> Dict:
    """A finished task's report line, with the input as the command line gave it (as batch reports it)."""
    try:
        outcome = ray.get(reference)
    except ray.exceptions.RayError as error:
        # Its retries are spent (lost nodes, killed workers) or it cannot run at all.
        cause = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        outcome = failed(video.input, f"{video.input}: the Ray task failed: {cause}")
    outcome["input"] = video.input
    outcome.setdefault("error", None)  # batch leaves it out when there is none; the report always has it
    if outcome["status"] == "stopped":
        outcome["status"] = "failed"
        outcome["error"] = f"{video.input}: videoseg was stopped by a signal on its node"
    return outcome
