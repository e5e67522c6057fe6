#!/usr/bin/python3
"""Export random-weight torchvision segmentation models as TorchScript, as the PyTorch
"Image Segmentation DeepLabV3 on iOS" tutorial does (torch.jit.script, plain save).

No trained weights can be downloaded here, so the weights are random (fixed seed): the output is
meaningless, but the graphs, shapes and cost are those of the real models, which is what the
tests and benchmarks need. No metadata is embedded: these files stand in for the tutorial's own
deeplabv3_scripted.pt, which has none.

With random weights and BatchNorm's default running statistics (mean 0, variance 1) the
MobileNetV3 backbone's activations shrink stage by stage to nothing: deeplabv3_mobilenet_v3_large
scores every input the same (one constant per class), and lraspp_mobilenet_v3_large depends on its
input only faintly, through its stride-8 branch (inputs spread to about +-10 give it several
classes). deeplabv3_resnet50 responds to its input normally. A test that needs the input to
matter should use those two, never deeplabv3_mobilenet_v3_large.

Run with Debian's system Python (/usr/bin/python3), which has python3-torch and
python3-torchvision. A model whose file and NAME.pt.stamp (a hash of this script and the torch and
torchvision versions) are up to date is not exported again; files are written to a temporary name
and moved into place; the same script and torch give byte-identical files. One line per model
goes to stderr.
"""

import argparse
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile

# torch is imported only when a model has to be exported, so an up-to-date run takes a moment
# rather than the second or two that importing torch costs.
MODELS = ("deeplabv3_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return __import__(package).__version__


def stamp() -> str:
    """Changes when this script or the torch/torchvision versions change."""
    digest = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as script:
        digest.update(script.read())
    for package in ("torch", "torchvision"):
        digest.update(f"\0{package}={version(package)}".encode())
    return digest.hexdigest()


def export(name: str, path: str) -> None:
    import torch
    from torchvision.models import segmentation

    torch.manual_seed(0)
    model = getattr(segmentation, name)(weights=None, weights_backbone=None)
    model.eval()
    scripted = torch.jit.script(model)
    # Saved under its final name in a private folder, then moved into place: the archive's
    # top-level folder is named after the file, as the tutorial's own export is, and the same
    # script and torch give the same bytes.
    temporary = tempfile.mkdtemp(prefix=f".{name}.", dir=os.path.dirname(path))
    try:
        staged = os.path.join(temporary, os.path.basename(path))
        scripted.save(staged)
        os.chmod(staged, 0o644)
        os.replace(staged, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def write_atomically(path: str, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def up_to_date(path: str, current: str) -> bool:
    try:
        with open(path + ".stamp") as existing:
            return existing.read().strip() == current and os.path.isfile(path)
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "Models", ".cache"), metavar="DIR",
                        help="folder for the .pt files (default: Models/.cache in the repository)")
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), metavar="NAME",
                        help=f"export just these models: {', '.join(sorted(MODELS))}")
    parser.add_argument("--export-one", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_one:
        name, path = args.export_one
        export(name, path)
        return 0

    os.makedirs(args.out, exist_ok=True)
    current = stamp()
    for name in dict.fromkeys(args.only or sorted(MODELS)):
        path = os.path.join(args.out, f"{name}.pt")
        if up_to_date(path, current):
            print(f"make_test_models: {name}: up to date", file=sys.stderr)
            continue
        # Each model is exported by a process of its own with a fixed string-hash seed: TorchScript
        # orders a module's constants by Python's (per-process randomized) string hashing and
        # numbers the classes it mangles across the whole process, so otherwise the same weights
        # would give different bytes from run to run, and depending on what else was exported.
        child = subprocess.run([sys.executable, os.path.abspath(__file__), "--export-one", name, path],
                               env={**os.environ, "PYTHONHASHSEED": "0"})
        if child.returncode != 0:
            print(f"make_test_models: {name}: export failed (exit status {child.returncode})", file=sys.stderr)
            return 1
        write_atomically(path + ".stamp", current + "\n")
        print(f"make_test_models: {name}: exported to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
