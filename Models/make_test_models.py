#!/usr/bin/python3
"""Export random-weight torchvision segmentation models as TorchScript, as the PyTorch
"Image Segmentation DeepLabV3 on iOS" tutorial does (torch.jit.script, plain save).

No trained weights can be downloaded here, so the weights are random (fixed seed): the output is
meaningless, but the graphs, shapes and cost are those of the real models, which is what the
tests and benchmarks need. No metadata is embedded: these files stand in for the tutorial's own
deeplabv3_scripted.pt, which has none.

Run with Debian's system Python (/usr/bin/python3), which has python3-torch and
python3-torchvision. A model whose file is up to date is not exported again.
"""

import argparse
import hashlib
import os
import sys
import tempfile

import torch
import torchvision
from torchvision.models import segmentation

MODELS = {
    "deeplabv3_resnet50": segmentation.deeplabv3_resnet50,
    "deeplabv3_mobilenet_v3_large": segmentation.deeplabv3_mobilenet_v3_large,
    "lraspp_mobilenet_v3_large": segmentation.lraspp_mobilenet_v3_large,
}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stamp() -> str:
    """Changes when this script or the torch/torchvision versions change."""
    digest = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as script:
        digest.update(script.read())
    digest.update(torch.__version__.encode())
    digest.update(torchvision.__version__.encode())
    return digest.hexdigest()


def export(name: str, path: str) -> None:
    torch.manual_seed(0)
    model = MODELS[name](weights=None, weights_backbone=None)
    model.eval()
    scripted = torch.jit.script(model)
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".pt", dir=directory)
    os.close(handle)
    try:
        scripted.save(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(REPO, "Models", ".cache"), help="folder for the .pt files")
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="export just these models")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    current = stamp()
    for name in args.only or sorted(MODELS):
        path = os.path.join(args.out, f"{name}.pt")
        stamp_path = path + ".stamp"
        if os.path.exists(path) and os.path.exists(stamp_path):
            with open(stamp_path) as existing:
                if existing.read().strip() == current:
                    print(f"make_test_models: {name}: up to date", file=sys.stderr)
                    continue
        export(name, path)
        with open(stamp_path, "w") as stamp_file:
            stamp_file.write(current + "\n")
        print(f"make_test_models: {name}: exported to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
