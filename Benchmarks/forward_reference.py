#!/usr/bin/python3
"""PyTorch's own forward pass, for `videoseg bench` to hold its "forward + argmax" against.

The model is prepared as a PyTorch user would (`torch.jit.freeze`, and
`torch.jit.optimize_for_inference(torch.jit.freeze(m))`), at the thread count and input size
VideoSeg used, and both graphs run on the same frames of the video (decoded with PyAV, scaled to
the model's size and normalised with the model's mean/std), alternately frame by frame so that a
load that comes and goes on a shared machine weighs on both alike. Each graph first runs twice
untimed (the profiling executor optimises on the second call). A pass is `model(x)` then
`argmax(1)` under `torch.inference_mode()`; its cost is the process CPU time, as `bench` counts
VideoSeg's stages.

Usage: /usr/bin/python3 Benchmarks/forward_reference.py INPUT MODEL --input-size WxH
           [--threads N] [--frames N] [--graph-out FILE]
Prints a JSON object on stdout: {"frames", "threads", "input_size",
"frozen_ms", "optimized_ms" (mean CPU ms a pass), "frozen_best_ms", "optimized_best_ms"}; with
--graph-out, the optimised graph as `module.graph` prints it. Errors: one line, exit status 1.
"""

import argparse
import json
import os
import sys
import time
import warnings

import av
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_reference as reference  # noqa: E402  (its metadata reading and size rules)


def frames(path, count, width, height, mean, std):
    """Up to `count` normalised [1,3,H,W] inputs from the first video stream."""
    inputs = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(width=width, height=height, format="rgb24", interpolation="BILINEAR")
            tensor = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div(255).unsqueeze(0)
            inputs.append(((tensor - mean) / std).contiguous())
            if len(inputs) >= count:
                break
    if not inputs:
        raise reference.Failure(f"{path}: no video frames")
    return inputs


def scores(output):
    if isinstance(output, dict):
        return output["out"]
    if isinstance(output, (tuple, list)):
        return output[0]
    return output


def main(argv):
    parser = reference.ArgumentParser(description="PyTorch's forward pass, frozen and optimised, on a video's frames.")
    parser.add_argument("input")
    parser.add_argument("model")
    parser.add_argument("--input-size", required=True, help="WxH")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--graph-out", help="write the optimised graph here")
    args = parser.parse_args(argv)
    size = reference.parse_size(args.input_size)
    if not isinstance(size, tuple):
        parser.error("--input-size must be WxH")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", message="An output with one or more elements was resized")
    model, metadata = reference.load_model(args.model)
    graphs = {"frozen": torch.jit.freeze(model)}
    graphs["optimized"] = torch.jit.optimize_for_inference(torch.jit.freeze(reference.load_model(args.model)[0]))
    if args.graph_out:
        with open(args.graph_out, "w") as out:
            out.write(str(graphs["optimized"].graph))
    mean = torch.tensor(metadata["mean"], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(metadata["std"], dtype=torch.float32).view(1, 3, 1, 1)
    inputs = frames(args.input, args.frames, size[0], size[1], mean, std)
    times = {name: [] for name in graphs}
    with torch.inference_mode():
        for graph in graphs.values():
            for _ in range(2):
                scores(graph(inputs[0])).argmax(1)
        for x in inputs:
            for name, graph in graphs.items():
                start = time.process_time()
                scores(graph(x)).argmax(1)
                times[name].append(time.process_time() - start)
    result = {"frames": len(inputs), "threads": args.threads, "input_size": list(size)}
    for name, values in times.items():
        result[f"{name}_ms"] = 1000 * sum(values) / len(values)
        result[f"{name}_best_ms"] = 1000 * min(values)
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except reference.Failure as failure:
        print(f"forward_reference: error: {failure}", file=sys.stderr)
        sys.exit(1)
