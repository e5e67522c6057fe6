"""A run's folder below the output folder, DIR/.videoseg-ray/run-*, held by a lock while it lives.

A driver killed outright (SIGKILL, a lost head node) cannot remove its folder; the next run
removes every folder whose lock nobody holds, and the report's temporary files when no other
run is live, so a rerun leaves nothing of the killed one behind.
"""

import fcntl
import glob
import os
import shutil
import tempfile
import time

from .report import current_umask

WORK_FOLDER = ".videoseg-ray"
LOCK = "lock"
# A folder without its lock file is a run that is being created, unless it is older than this.
CREATING = 60.0


class RunFolder:
    """This run's folder, locked (flock) from its creation until `remove`."""

    def __init__(self, path: str, descriptor: int):
        self.path = path
        self.descriptor = descriptor

    @classmethod
    def create(cls, output_dir: str) -> "RunFolder":
        root = os.path.join(output_dir, WORK_FOLDER)
        os.makedirs(root, exist_ok=True)
        path = tempfile.mkdtemp(prefix="run-", dir=root)
        os.chmod(path, 0o777 & ~current_umask())  # mkdtemp's 0700 would shut out workers running as another user
        descriptor = os.open(os.path.join(path, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        folder = cls(path, descriptor)
        if folder.remove_stale() == 0:
            _remove_report_leftovers(output_dir)
        return folder

    def remove_stale(self) -> int:
        """Removes the folders of runs that died; returns how many other runs are live."""
        live = 0
        for other in glob.glob(os.path.join(os.path.dirname(self.path), "run-*")):
            if other != self.path and not _remove_if_dead(other):
                live += 1
        return live

    def remove(self) -> None:
        """Removes this run's folder, and the shared one above it if no other run uses it."""
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self.descriptor)
        try:
            os.rmdir(os.path.dirname(self.path))
        except OSError:
            pass


def _remove_if_dead(folder: str) -> bool:
    """Removes `folder` when no live run holds its lock; true when it was removed."""
    try:
        descriptor = os.open(os.path.join(folder, LOCK), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        try:
            young = time.time() - os.stat(folder).st_mtime < CREATING
        except FileNotFoundError:
            return True
        if young:
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(descriptor)
    return True


def _remove_report_leftovers(output_dir: str) -> None:
    """The temporary files of a report being written when its run was killed."""
    for leftover in glob.glob(os.path.join(output_dir, ".batch-report.jsonl.*.partial")):
        try:
            os.unlink(leftover)
        except OSError:
            pass
