#!/usr/bin/env python3
"""Exports random-weight (fixed seed) torchvision segmentation models as TorchScript for
gpu-check.sh: torch.jit.script and a plain save, as Models/make_test_models.py does, so forward
returns a dict whose "out" holds the scores. Nothing is downloaded.

usage: export_models.py OUTDIR NAME...   (NAME: deeplabv3_resnet50, lraspp_mobilenet_v3_large)
"""

import os
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    import torch
    from torchvision.models import segmentation

    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:]:
        torch.manual_seed(0)
        model = getattr(segmentation, name)(weights=None, weights_backbone=None).eval()
        torch.jit.script(model).save(os.path.join(out, f"{name}.pt"))
        print(f"export_models: {name} (torch {torch.__version__})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
