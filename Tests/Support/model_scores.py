#!/usr/bin/python3
"""Scores of a TorchScript model for a raw float32 tensor, for the Swift parity tests.

usage: model_scores.py MODEL INPUT.f32 N C H W OUTPUT.f32 [--bgr]

Reads INPUT as little-endian float32 [N,C,H,W], runs forward under no_grad as the PyTorch
tutorial does, writes the scores as raw little-endian float32 (C order) to OUTPUT and prints
their shape on stdout as space-separated integers, e.g. "1 21 64 96". The model may return a
tensor, a dict with the key "out" (torchvision's segmentation models) or a tuple whose first
element is the scores. --bgr reverses the channel order first, so a test can show the comparison
is able to fail. On error: a one-line message on stderr and a non-zero exit.

Run with Debian's system Python (/usr/bin/python3), which has python3-torch.
"""

import sys

USAGE = "usage: model_scores.py MODEL INPUT.f32 N C H W OUTPUT.f32 [--bgr]"


class Failure(Exception):
    pass


def scores_tensor(output):
    import torch

    if isinstance(output, dict):
        if "out" not in output:
            raise Failure(f"the model returned a dict without 'out' (keys: {', '.join(map(str, output))})")
        output = output["out"]
    elif isinstance(output, (tuple, list)):
        if not output:
            raise Failure("the model returned an empty tuple")
        output = output[0]
    if not isinstance(output, torch.Tensor):
        raise Failure(f"the model returned {type(output).__name__}, not a tensor")
    return output


def main(argv):
    bgr = "--bgr" in argv
    args = [a for a in argv if a != "--bgr"]
    if len(args) != 7:
        print(USAGE, file=sys.stderr)
        return 2
    model_path, input_path, *dimensions, output_path = args
    try:
        shape = tuple(int(d) for d in dimensions)
    except ValueError:
        raise Failure(f"N C H W must be integers, got {' '.join(dimensions)}")
    if any(d <= 0 for d in shape):
        raise Failure(f"N C H W must be positive, got {' '.join(dimensions)}")

    import numpy
    import torch

    data = numpy.fromfile(input_path, dtype="<f4")
    expected = int(numpy.prod(shape))
    if data.size != expected:
        raise Failure(f"{input_path}: {data.size} floats, expected {expected} for [{', '.join(dimensions)}]")
    tensor = torch.from_numpy(data.reshape(shape).astype(numpy.float32))
    if bgr:
        tensor = tensor.flip(1)
    model = torch.jit.load(model_path, map_location="cpu").eval()
    with torch.no_grad():
        output = scores_tensor(model(tensor))
    scores = numpy.ascontiguousarray(output.detach().cpu().to(torch.float32).numpy(), dtype="<f4")
    scores.tofile(output_path)
    print(" ".join(str(s) for s in scores.shape))
    return 0


def one_line(error):
    """The line of an error that says what went wrong: TorchScript puts it last, after the
    script's call stack; C++ errors put it first, before their backtrace."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].startswith("The following operation failed in the TorchScript interpreter"):
        return lines[-1]
    return lines[0]


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as error:  # one line for the test's failure message
        print(f"model_scores: {one_line(error)}", file=sys.stderr)
        sys.exit(1)
