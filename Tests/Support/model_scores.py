#!/usr/bin/python3
"""Scores of a TorchScript model for a raw float32 tensor, for the Swift parity tests.

usage: model_scores.py MODEL INPUT.f32 N C H W OUTPUT.f32 [--bgr]

Reads INPUT as little-endian float32 [N,C,H,W], runs forward under no_grad as the PyTorch
tutorial does, writes the scores as raw float32 to OUTPUT and prints their shape on stdout.
--bgr reverses the channel order first, so a test can show the comparison is able to fail.
"""

import sys

import numpy
import torch


def main(argv):
    bgr = "--bgr" in argv
    args = [a for a in argv if a != "--bgr"]
    if len(args) != 7:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    model_path, input_path, n, c, h, w, output_path = args
    shape = (int(n), int(c), int(h), int(w))
    data = numpy.fromfile(input_path, dtype="<f4")
    if data.size != numpy.prod(shape):
        print(f"{input_path}: {data.size} floats, expected {numpy.prod(shape)}", file=sys.stderr)
        return 1
    tensor = torch.from_numpy(data.reshape(shape).copy())
    if bgr:
        tensor = tensor.flip(1)
    model = torch.jit.load(model_path).eval()
    with torch.no_grad():
        output = model(tensor)
    if isinstance(output, dict):
        output = output["out"]
    elif isinstance(output, (tuple, list)):
        output = output[0]
    scores = output.detach().to(torch.float32).contiguous().numpy()
    scores.astype("<f4").tofile(output_path)
    print(" ".join(str(s) for s in scores.shape))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # one line for the test's failure message
        print(f"model_scores: {error}".splitlines()[0], file=sys.stderr)
        sys.exit(1)
