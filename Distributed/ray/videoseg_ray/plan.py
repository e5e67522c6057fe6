"""The inputs of a run, named by `videoseg batch --print-plan`."""

import json
import subprocess
from dataclasses import dataclass
from typing import List, Optional, Sequence


class PlanError(Exception):
    """`videoseg batch` refused the inputs or options; `status` is its exit code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PlannedVideo:
    """One input as batch collected it, and its outputs' path below the output folder."""

    input: str
    name: str


def batch_plan(binary: str, inputs: Sequence[str], list_file: Optional[str], output_dir: str,
               options: Sequence[str]) -> List[PlannedVideo]:
    """The inputs and names `videoseg batch` would use, in its order (it does no work).

    The segment options go along so that a bad one is refused here, before any task starts.
    """
    listed = ["--list", list_file] if list_file else []
    command = [binary, "batch", "--output-dir", output_dir, *listed, "--print-plan", *options, "--", *inputs]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    except OSError as error:
        raise PlanError(f"cannot run {binary}: {error.strerror}", 1) from error
    if result.returncode != 0:
        raise PlanError(result.stderr.strip() or f"{binary} batch --print-plan exited with {result.returncode}",
                        result.returncode)
    return [PlannedVideo(**json.loads(line)) for line in result.stdout.splitlines() if line.strip()]


def is_url(source: str) -> bool:
    """Whether batch reads `source` as an FFmpeg URL rather than a path (its own rule)."""
    scheme, colon, _ = source.partition(":")
    return bool(colon) and bool(scheme) and all(c.isalnum() or c in "+-." for c in scheme)
