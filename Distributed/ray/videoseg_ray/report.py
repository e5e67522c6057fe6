"""The run's `batch-report.jsonl` and its summary, as `videoseg batch` writes them."""

import json
import os
import sys
import tempfile
from collections import Counter
from typing import Dict, List, Optional, Sequence


def write_report(path: str, outcomes: Sequence[Optional[Dict]]) -> None:
    """Writes the finished videos' lines in input order, atomically (a temporary file, renamed).

    The keys and their format are batch's: sorted, compact, slashes and non-ASCII as they are.
    """
    text = "".join(json.dumps(outcome, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for outcome in outcomes if outcome is not None)
    folder, name = os.path.split(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    try:
        # mkstemp's 0600 would keep the report from the other users who can read the outputs.
        os.fchmod(descriptor, 0o666 & ~current_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def current_umask() -> int:
    """The process's umask (reading it means setting it: set it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def counts(outcomes: Sequence[Optional[Dict]]) -> Counter:
    """How many finished videos have each status."""
    return Counter(outcome["status"] for outcome in outcomes if outcome is not None)


def progress_line(outcomes: Sequence[Optional[Dict]], elapsed: float) -> str:
    """Batch's progress line: videos so far, by status, frames written, ETA of the rest."""
    finished = [outcome for outcome in outcomes if outcome is not None]
    by_status = counts(outcomes)
    frames = sum(outcome["frames"] for outcome in finished if outcome["status"] == "done")
    left = (len(outcomes) - len(finished)) * elapsed / max(1, len(finished))
    return (f"videoseg-ray: {len(finished)}/{len(outcomes)} videos ({by_status['done']} done, "
            f"{by_status['skipped']} skipped, {by_status['failed']} failed), {frames} frames, "
            f"{elapsed:.0f} s, ETA {left:.0f} s")


def summarize(outcomes: List[Optional[Dict]], report: str, seconds: float) -> int:
    """Prints each failure and a summary line on stderr; returns the exit code (0, or 2 if any failed)."""
    for outcome in outcomes:
        if outcome is not None and outcome["status"] == "failed":
            print(f"videoseg-ray: failed: {outcome.get('error') or outcome['input']}", file=sys.stderr)
    by_status = counts(outcomes)
    print(f"videoseg-ray: {by_status['done']} done, {by_status['skipped']} skipped, {by_status['failed']} failed "
          f"of {len(outcomes)} videos in {seconds:.1f} s; report {report}", file=sys.stderr)
    return 2 if by_status["failed"] else 0
