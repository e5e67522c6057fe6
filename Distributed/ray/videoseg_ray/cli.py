"""`videoseg-ray INPUTS... --output-dir DIR [--list FILE] [--address ADDR] [--binary PATH]
[--cpus-per-task N] [-- SEGMENT_OPTIONS...]`."""

import argparse
import os
import sys
from typing import List, Optional, Sequence

from .plan import PlanError

# Options of `videoseg batch` that the driver sets for its workers itself.
RESERVED = ("--serve", "--shard", "--report", "--print-plan", "--jobs", "--output-dir", "--list", "-o", "--output")
USAGE_ERROR = 64  # as `videoseg`: 2 means "some videos failed"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    result = _Parser(
        prog="videoseg-ray",
        description="Segment many videos across a Ray cluster: warm workers (one long-lived "
                    "`videoseg batch --serve` per CPU slot, its model prepared once) take the videos one at a time. Outputs, done-records and batch-report.jsonl are "
                    "those of `videoseg batch`; a rerun skips finished videos.",
        epilog="Options after -- go to videoseg (model, style, masks, codec, ...). Exit codes: 0 every "
               "video done or skipped, 2 some failed (see the report), 64 bad usage, 130 stopped.")
    result.add_argument("inputs", nargs="*", help="video files, and folders searched recursively for videos")
    result.add_argument("--output-dir", required=True, metavar="DIR", help="where the outputs go (on storage every node sees)")
    result.add_argument("--list", metavar="FILE", help="also read inputs from this file: one path or FFmpeg URL a line")
    result.add_argument("--address", metavar="ADDR",
                        help="the Ray cluster (default: RAY_ADDRESS, else the cluster started on this machine, "
                             "else a new local Ray)")
    result.add_argument("--binary", default="videoseg", metavar="PATH",
                        help="the videoseg binary, the same path on every node (default: videoseg on PATH)")
    result.add_argument("--cpus-per-task", type=int, default=1, metavar="N",
                        help="CPUs Ray reserves for each worker (one video at a time), also videoseg's --threads unless given (default 1)")
    result.add_argument("--lock-wait", type=float, default=600.0, metavar="SECONDS",
                        help="how long a worker waits while another live run writes its video (default 600)")
    return result


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The driver's arguments, and after `--` the options handed to every videoseg."""
    argv = list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    command = parser()
    arguments = command.parse_args(argv[:split])
    arguments.options = _segment_options(command, argv[split + 1:], arguments.cpus_per_task)
    if not arguments.inputs and arguments.list is None:
        command.error("give input files or folders, or --list FILE")
    if arguments.cpus_per_task < 1:
        command.error("--cpus-per-task must be at least 1")
    if os.sep in arguments.binary:
        arguments.binary = os.path.abspath(arguments.binary)
    return arguments


def _segment_options(command: argparse.ArgumentParser, options: List[str], cpus: int) -> List[str]:
    for option in options:
        if any(option == name or option.startswith(name + "=") for name in RESERVED):
            command.error(f"{option} is set by videoseg-ray for its workers; leave it out")
    if not any(option == "--threads" or option.startswith("--threads=") for option in options):
        # libtorch would otherwise take every core of the node, whatever Ray reserved.
        options = options + ["--threads", str(cpus)]
    return options


def main(argv: Optional[Sequence[str]] = None) -> None:
    arguments = parse(sys.argv[1:] if argv is None else argv)
    from .driver import run  # Ray is imported only once the arguments are good: it takes a while.
    try:
        code = run(arguments)
    except PlanError as error:
        print(str(error) if str(error).startswith("videoseg") else f"videoseg-ray: error: {error}", file=sys.stderr)
        code = error.status
    except KeyboardInterrupt:
        # Stopped before the tasks were sent (while Ray starts or connects): nothing of ours to
        # undo, but a local Ray half started must be taken down, or its processes stay.
        import ray
        ray.shutdown()
        print("videoseg-ray: stopped", file=sys.stderr)
        code = 130
    except ConnectionError as error:
        print(f"videoseg-ray: error: cannot reach the Ray cluster: {error}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
