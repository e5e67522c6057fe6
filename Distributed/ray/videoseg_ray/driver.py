"""The run: plan the inputs, hand them to warm workers, merge their report lines."""

import logging
import os
import sys
import time
from typing import Optional

import ray

from .dispatch import Dispatcher
from .plan import batch_plan
from .report import summarize, write_report
from .runfolder import RunFolder
from .worker import WorkerJob


def run(arguments) -> int:
    """Runs the whole batch; returns the exit code (0 all done or skipped, 2 some failed, 130 stopped)."""
    started = time.monotonic()
    output_dir = os.path.abspath(arguments.output_dir)
    plan = batch_plan(arguments.binary, arguments.inputs, arguments.list, output_dir, arguments.options)
    os.makedirs(output_dir, exist_ok=True)
    report = os.path.join(output_dir, "batch-report.jsonl")
    work = RunFolder.create(output_dir)
    try:
        job = WorkerJob(binary=arguments.binary, output_dir=output_dir, options=tuple(arguments.options),
                        cwd=os.getcwd(), lock_wait=arguments.lock_wait)
        outcomes, stopped = [], False
        if plan:
            _connect(arguments.address)
            print(f"videoseg-ray: {len(plan)} videos, {_cluster_size()}", file=sys.stderr)
            outcomes, stopped = Dispatcher(job, plan, arguments.cpus_per_task, report).run()
    finally:
        work.remove()
    write_report(report, outcomes)
    code = summarize(outcomes, report, time.monotonic() - started)
    return 130 if stopped else code


def _connect(address: Optional[str]) -> None:
    """Joins the cluster at `address` (or RAY_ADDRESS, or the one started on this machine, or a new local one)."""
    ray.init(address=address, logging_level=logging.WARNING)


def _cluster_size() -> str:
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    return f"{ray.cluster_resources().get('CPU', 0):g} CPUs on {len(nodes)} nodes"
