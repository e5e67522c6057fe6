#!/usr/bin/python3
"""PyTorch's answer for masks at the output size, for the Swift edge tests.

usage: interpolated_masks.py MODEL INPUT.f32 H W OUT_H OUT_W PREFIX [--probabilities] [--tinted 1,2,...]

Reads INPUT as little-endian float32 [1,3,H,W], runs the model under no_grad and writes, for
scores interpolated to OUT_H x OUT_W with F.interpolate(mode="bilinear", align_corners=False):
  PREFIX.classes.u8   the argmax class of every pixel (uint8, row by row)
  PREFIX.margin.f32   the gap between the largest and the second largest interpolated score
                      (where it is tiny, float rounding may pick either class)
  PREFIX.foreground.f32  the interpolated probability of the tinted classes, summed
                      (probabilities: softmax of the scores, or the scores themselves with
                      --probabilities); tinted: every class but 0 unless --tinted says
On error: a one-line message on stderr and a non-zero exit.

Run with Debian's system Python (/usr/bin/python3), which has python3-torch.
"""

import sys

import numpy
import torch
import torch.nn.functional as F


def scores_tensor(output):
    if isinstance(output, dict):
        output = output["out"]
    elif isinstance(output, (tuple, list)):
        output = output[0]
    return output


def main(argv):
    probabilities = "--probabilities" in argv
    tinted = None
    args = []
    iterator = iter(argv)
    for argument in iterator:
        if argument == "--probabilities":
            continue
        if argument == "--tinted":
            tinted = [int(t) for t in next(iterator).split(",")]
            continue
        args.append(argument)
    if len(args) != 7:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    model_path, input_path, height, width, out_height, out_width, prefix = args
    height, width, out_height, out_width = int(height), int(width), int(out_height), int(out_width)
    data = numpy.fromfile(input_path, dtype="<f4")
    tensor = torch.from_numpy(data.reshape(1, 3, height, width).copy())
    torch.set_num_threads(1)
    model = torch.jit.load(model_path).eval()
    with torch.no_grad():
        scores = scores_tensor(model(tensor)).float()
        interpolated = F.interpolate(scores, size=(out_height, out_width), mode="bilinear", align_corners=False)
        top = interpolated.topk(2, dim=1).values
        classes = interpolated.argmax(1)
        probability = scores if probabilities else torch.softmax(scores, dim=1)
        tinted = tinted if tinted is not None else list(range(1, scores.shape[1]))
        foreground = F.interpolate(probability, size=(out_height, out_width), mode="bilinear", align_corners=False)[:, tinted].sum(1)
    classes[0].numpy().astype(numpy.uint8).tofile(prefix + ".classes.u8")
    (top[0, 0] - top[0, 1]).numpy().astype("<f4").tofile(prefix + ".margin.f32")
    foreground[0].numpy().astype("<f4").tofile(prefix + ".foreground.f32")
    print(" ".join(str(d) for d in scores.shape))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # one line, for the test's failure message
        print(f"interpolated_masks.py: {error}", file=sys.stderr)
        sys.exit(1)
