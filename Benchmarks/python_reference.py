#!/usr/bin/python3
"""Plain-Python reference for `videoseg bench`: segment a video the way a tutorial reader would.

Why this exists
---------------
`videoseg bench` compares VideoSeg against what a user would write without it: someone who has
followed the PyTorch "Image Segmentation DeepLabV3 on iOS" tutorial and now wants the same
overlay on a video, using PyAV for decoding/encoding and a TorchScript model. This file is that
program: one sequential Python loop, decode -> preprocess -> forward -> argmax -> colour ->
blend -> encode, one frame at a time.

It was written before any optimisation work on VideoSeg and is committed as it is, so that the
baseline is not tuned after the fact to flatter (or handicap) either side. It is meant to be an
honest, reasonable baseline: vectorised numpy for the per-pixel work, index tables computed once,
the model run under `torch.inference_mode()` -- but no threads of our own, no pipelining of
decode/inference/encode, no custom kernels.

What it deliberately does the simple way
----------------------------------------
* Sequential: one thread of Python; decode, inference, rendering and encoding never overlap.
  PyTorch's intra-op threads are set with --threads (default 1); PyAV/FFmpeg's own codec
  threading is left at PyAV's defaults.
* Colour conversion is PyAV's (swscale) both ways: YUV -> RGB at the model's size (bilinear) and
  at full size for blending, and RGB -> yuv420p for the encoder, with swscale's default matrix.
* The model runs as loaded (the tutorial's way) unless --optimised, which applies
  `torch.jit.optimize_for_inference(torch.jit.freeze(model))`.
* Only the first video stream is processed; audio, subtitles, rotation (display matrix) and
  sample aspect ratio are ignored. The output is video-only H.264 (libx264, yuv420p) in MP4.

Model metadata is read the way VideoSeg reads it: the TorchScript extra file `videoseg.json`
(keys `labels`, `mean`, `std`, `input_size` as [W,H] or a short-side length, `fixed_input_size`,
`colors`), each field falling back to the tutorial's defaults (21 PASCAL VOC labels, ImageNet
mean/std, 400 on the short side). --input-size overrides the size.

Timing starts at the first decoded frame and stops when the output is closed; model loading and
one warm-up forward pass at the chosen input size happen before the clock starts, as in VideoSeg.

Usage (Debian's system Python, which has python3-torch and python3-av)
---------------------------------------------------------------------
    /usr/bin/python3 Benchmarks/python_reference.py INPUT MODEL.pt -o OUTPUT.mp4 \\
        [--input-size N | WxH] [--threads N] [--optimised] [--max-frames N] \\
        [--preset veryfast] [--crf 23] [--alpha 0.5] [--json]

Prints `python_reference: N frames in S s (F fps)` on stderr; with --json also a JSON object on
stdout: {"frames", "seconds", "fps", "optimised", "threads", "input_size", "peak_rss_kb"}.
Errors are one line on stderr and exit status 1.
"""

import argparse
import json
import os
import resource
import sys
import time
import warnings

import av
import numpy as np
import torch

VOC_LABELS = [
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
]
TUTORIAL_DEFAULTS = {
    "labels": VOC_LABELS,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "input_size": 400,
}


class Failure(Exception):
    """An error reported as one line on stderr, exit status 1."""


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit status 1, like every other error here."""

    def error(self, message):
        print(f"python_reference: error: {message} (see --help)", file=sys.stderr)
        sys.exit(1)


def parse_args(argv):
    parser = ArgumentParser(description="Plain sequential Python segmentation overlay (baseline for videoseg bench).")
    parser.add_argument("input", help="input video")
    parser.add_argument("model", help="TorchScript segmentation model (.pt)")
    parser.add_argument("-o", "--output", required=True, help="output .mp4")
    parser.add_argument("--input-size", help="model input size: N (short side, keeping aspect) or WxH")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--optimised", action="store_true", help="freeze + optimize_for_inference the model")
    parser.add_argument("--max-frames", type=int, help="stop after this many frames")
    parser.add_argument("--preset", default="veryfast", help="libx264 preset (default veryfast)")
    parser.add_argument("--crf", type=int, default=23, help="libx264 CRF (default 23)")
    parser.add_argument("--alpha", type=float, default=0.5, help="overlay opacity 0..1 (default 0.5)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.max_frames is not None and args.max_frames < 1:
        parser.error("--max-frames must be at least 1")
    if not 0.0 <= args.alpha <= 1.0:
        parser.error("--alpha must be between 0 and 1")
    if args.input_size is not None:
        args.input_size = parse_size(args.input_size)
        if args.input_size is None:
            parser.error("--input-size must be N or WxH with positive integers")
    return args


def parse_size(text):
    """`N` -> int (short side), `WxH` -> (W, H); None if malformed."""
    parts = text.lower().split("x")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        return None
    if any(n <= 0 for n in numbers):
        return None
    if len(numbers) == 1:
        return numbers[0]
    if len(numbers) == 2:
        return (numbers[0], numbers[1])
    return None


def resolve_size(size, width, height):
    """Model input (W, H) for a frame of width x height; `size` is an int (short side) or (W, H)."""
    if isinstance(size, tuple):
        return size
    if width <= height:
        return size, max(1, round(height * size / width))
    return max(1, round(width * size / height)), size


def load_model(path):
    """The loaded TorchScript module and its metadata merged over the tutorial defaults."""
    extra = {"videoseg.json": ""}
    try:
        model = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    except Exception as error:  # torch raises RuntimeError/ValueError with multi-line text
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise Failure(f"cannot load model {path}: {first}")
    metadata = dict(TUTORIAL_DEFAULTS)
    text = extra["videoseg.json"]
    if text:
        try:
            embedded = json.loads(text)
        except ValueError:
            raise Failure(f"{path}: embedded videoseg.json is not valid JSON")
        if not isinstance(embedded, dict):
            raise Failure(f"{path}: embedded videoseg.json is not a JSON object")
        for key in ("labels", "mean", "std", "input_size", "fixed_input_size", "colors"):
            if key in embedded:
                metadata[key] = embedded[key]
    size = metadata["input_size"]
    metadata["input_size"] = tuple(size) if isinstance(size, list) else size
    return model.eval(), metadata


def optimise(model):
    # The frozen, MKLDNN-converted graph makes torch 1.13 warn once per op about resizing its
    # own output buffers; harmless, and it would bury the summary line on stderr.
    warnings.filterwarnings("ignore", message="An output with one or more elements was resized")
    try:
        return torch.jit.optimize_for_inference(torch.jit.freeze(model))
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"python_reference: note: --optimised failed ({first}); using the model as loaded", file=sys.stderr)
        return model


def voc_color(class_id):
    r = g = b = 0
    c = class_id
    for bit in range(8):
        r |= ((c >> 0) & 1) << (7 - bit)
        g |= ((c >> 1) & 1) << (7 - bit)
        b |= ((c >> 2) & 1) << (7 - bit)
        c >>= 3
    return r, g, b


def palette(custom):
    """256 RGB colours: `custom` entries where given, VOC colours elsewhere."""
    colours = np.array([voc_color(i) for i in range(256)], dtype=np.uint8)
    for i, rgb in enumerate(custom or []):
        if i < 256 and len(rgb) == 3:
            colours[i] = rgb
    return colours


def center_table(source, destination):
    """Nearest-neighbour source index on pixel centres for each destination index."""
    d = np.arange(destination, dtype=np.int64)
    return np.minimum(source - 1, (2 * d + 1) * source // (2 * destination))


def class_map(output):
    """uint8 class map (H, W) from a model output: Tensor, {"out": Tensor} or (Tensor, ...)."""
    if isinstance(output, dict):
        output = output["out"]
    elif isinstance(output, (tuple, list)):
        output = output[0]
    if output.dim() == 4:
        output = output[0]
    return output.argmax(0).to(torch.uint8).numpy()


def run(args):
    if not os.path.isfile(args.input):
        raise Failure(f"no such input file: {args.input}")
    if not os.path.isfile(args.model):
        raise Failure(f"no such model file: {args.model}")
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise Failure(f"cannot create {args.output}: no such directory {out_dir}")

    torch.set_num_threads(args.threads)
    model, metadata = load_model(args.model)
    if args.optimised:
        model = optimise(model)

    try:
        source = av.open(args.input)
    except (av.AVError, OSError) as error:
        raise Failure(f"cannot open {args.input}: {error.strerror or error}")
    if not source.streams.video:
        raise Failure(f"{args.input} has no video stream")
    in_stream = source.streams.video[0]
    width, height = in_stream.codec_context.width, in_stream.codec_context.height

    size = metadata["input_size"]
    if args.input_size is not None:
        if metadata.get("fixed_input_size") and resolve_size(args.input_size, width, height) != resolve_size(size, width, height):
            fixed_w, fixed_h = resolve_size(size, width, height)
            raise Failure(f"{args.model} works only at input size {fixed_w}x{fixed_h}; --input-size cannot change it")
        size = args.input_size
    model_w, model_h = resolve_size(size, width, height)

    mean = torch.tensor(metadata["mean"], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(metadata["std"], dtype=torch.float32).view(1, 3, 1, 1)
    colours = palette(metadata.get("colors"))
    a = round(args.alpha * 256)
    alpha_of_class = np.full(256, a, dtype=np.uint16)
    alpha_of_class[0] = 0  # background is never tinted
    rows = center_table(model_h, height)
    cols = center_table(model_w, width)

    # Warm-up forward at the chosen size, before the clock (as VideoSeg does).
    with torch.inference_mode():
        class_map(model(torch.zeros(1, 3, model_h, model_w)))

    try:
        sink = av.open(args.output, "w", format="mp4")
    except (av.AVError, OSError) as error:
        raise Failure(f"cannot create {args.output}: {error.strerror or error}")
    out_stream = sink.add_stream("libx264", rate=in_stream.average_rate or 25)
    out_stream.width = width
    out_stream.height = height
    out_stream.pix_fmt = "yuv420p"
    out_stream.options = {"crf": str(args.crf), "preset": args.preset}
    out_stream.codec_context.time_base = in_stream.time_base

    frames = 0
    start = None
    with torch.inference_mode():
        for frame in source.decode(in_stream):
            if start is None:
                start = time.perf_counter()
            small = frame.to_ndarray(format="rgb24", width=model_w, height=model_h, interpolation="BILINEAR")
            x = torch.from_numpy(small).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
            x = (x - mean) / std
            classes = class_map(model(x.contiguous()))

            full = frame.to_ndarray(format="rgb24")
            classes_full = classes[rows][:, cols]
            a_px = alpha_of_class[classes_full][:, :, None]
            blended = (full.astype(np.uint16) * (256 - a_px) + colours[classes_full].astype(np.uint16) * a_px + 128) >> 8

            out = av.VideoFrame.from_ndarray(blended.astype(np.uint8), format="rgb24")
            out.pts = frame.pts
            out.time_base = in_stream.time_base
            for packet in out_stream.encode(out):
                sink.mux(packet)
            frames += 1
            if args.max_frames is not None and frames >= args.max_frames:
                break
    for packet in out_stream.encode(None):
        sink.mux(packet)
    sink.close()
    source.close()
    seconds = time.perf_counter() - start if start is not None else 0.0
    fps = frames / seconds if seconds > 0 else 0.0

    print(f"python_reference: {frames} frames in {seconds:.2f} s ({fps:.2f} fps)", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "frames": frames,
            "seconds": round(seconds, 4),
            "fps": round(fps, 3),
            "optimised": args.optimised,
            "threads": args.threads,
            "input_size": [model_w, model_h],
            "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except Failure as error:
        print(f"python_reference: error: {error}", file=sys.stderr)
        return 1
    except (av.AVError, RuntimeError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"python_reference: error: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
