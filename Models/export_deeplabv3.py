#!/usr/bin/python3
"""Export torchvision's DeepLabV3-ResNet50 as the PyTorch tutorial does, for VideoSeg.

With internet access, the pretrained weights come from torchvision's model hub (COCO subset with
the 21 PASCAL VOC classes):

    /usr/bin/python3 Models/export_deeplabv3.py -o deeplabv3_scripted.pt

Without it, pass a state dict you downloaded elsewhere (for example torchvision's
deeplabv3_resnet50_coco-cd0a2569.pth):

    /usr/bin/python3 Models/export_deeplabv3.py --weights deeplabv3_resnet50_coco-cd0a2569.pth -o deeplabv3_scripted.pt

Run it with PyTorch 1.13 (Debian's python3-torch, the system /usr/bin/python3) so that libtorch
1.13 can load the result. The file is scripted (torch.jit.script) and saved as the tutorial does,
with VideoSeg's metadata embedded as the extra file videoseg.json (labels, ImageNet mean/std, a
default input size of 520 on the short side, as torchvision's reference evaluation uses).
"""

import argparse
import json
import sys

import torch
from torchvision.models import segmentation

VOC_LABELS = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", default="deeplabv3_scripted.pt", help="TorchScript file to write")
    parser.add_argument("--weights", help="a state dict file (.pth) instead of downloading the pretrained weights")
    parser.add_argument("--input-size", type=int, default=520, help="short side to store as the default input size")
    args = parser.parse_args()

    if args.weights:
        model = segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=True)
        state = torch.load(args.weights, map_location="cpu")
        if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
            state = state["model"]
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing:
            sys.exit(f"export_deeplabv3: {args.weights} lacks {len(missing)} weights, e.g. {missing[0]}")
        if unexpected:
            print(f"export_deeplabv3: ignoring {len(unexpected)} unexpected weights, e.g. {unexpected[0]}", file=sys.stderr)
    else:
        model = segmentation.deeplabv3_resnet50(weights=segmentation.DeepLabV3_ResNet50_Weights.DEFAULT)
    model.eval()
    scripted = torch.jit.script(model)
    metadata = {"labels": VOC_LABELS, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                "input_size": args.input_size}
    scripted.save(args.output, _extra_files={"videoseg.json": json.dumps(metadata)})
    print(f"export_deeplabv3: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
