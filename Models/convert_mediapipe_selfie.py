#!/usr/bin/env python3
"""Convert MediaPipe's selfie segmentation models (TFLite) into TorchScript for VideoSeg.

The mediapipe==0.10.14 wheel (Apache-2.0) ships two trained person-segmentation models:
selfie_segmentation.tflite (256x256 input) and selfie_segmentation_landscape.tflite (256 wide x
144 high). Each takes RGB in [0,1] and returns one channel, the probability that a pixel shows a
person. This script reads the TFLite flatbuffer with the pure-Python `tflite` package, rebuilds the
graph as a torch module with the real (float16, dequantised) weights, and exports TorchScript with
metadata embedded as `videoseg.json`. The module returns two channels, [1-p, p], so VideoSeg's
generic argmax applies unchanged.

The graph's average pools and means span the whole feature map (squeeze-and-excitation blocks),
so each model works only at its own input size: the metadata marks the size as fixed.

Run it with Debian's python3-torch 1.13 (so libtorch 1.13 loads the result) plus `tflite` from
PyPI, in a venv that sees the system packages:

    /usr/bin/python3 -m venv --system-site-packages Models/.venv-convert
    Models/.venv-convert/bin/pip install tflite==2.18.0
    Models/.venv-convert/bin/pip download --no-deps -d Models/.cache mediapipe==0.10.14
    Models/.venv-convert/bin/python Models/convert_mediapipe_selfie.py Models/.cache/mediapipe-0.10.14-*.whl
"""

import argparse
import hashlib
import io
import json
import os
import sys
import warnings
import zipfile

import numpy
import tflite
import torch
import torch.nn.functional as F

MODELS = {
    # file in the wheel → (output name, input width, input height)
    "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite": ("selfie_segmentation.pt", 256, 256),
    "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite": ("selfie_segmentation_landscape.pt", 256, 144),
}

SAME, VALID = tflite.Padding.SAME, tflite.Padding.VALID
NONE, RELU, RELU6 = tflite.ActivationFunctionType.NONE, tflite.ActivationFunctionType.RELU, tflite.ActivationFunctionType.RELU6


def opcode_names(model):
    names = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if code.CustomCode():
            names.append(code.CustomCode().decode())
        else:
            names.append(tflite.opcode2name(max(code.BuiltinCode(), code.DeprecatedBuiltinCode())))
    return names


def tensor_value(model, graph, index):
    """The constant data of a tensor, or None when it is computed."""
    tensor = graph.Tensors(index)
    buffer = model.Buffers(tensor.Buffer())
    if buffer.DataLength() == 0:
        return None
    dtype = {tflite.TensorType.FLOAT32: numpy.float32, tflite.TensorType.FLOAT16: numpy.float16,
             tflite.TensorType.INT32: numpy.int32}[tensor.Type()]
    return numpy.frombuffer(buffer.DataAsNumpy().tobytes(), dtype=dtype).reshape(tensor.ShapeAsNumpy())


def same_padding(size, kernel, stride):
    """TensorFlow's SAME padding: asymmetric, the extra pixel goes after."""
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def activation(x, kind):
    if kind == NONE:
        return x
    if kind == RELU:
        return F.relu(x)
    if kind == RELU6:
        return F.relu6(x)
    raise ValueError(f"unsupported fused activation {kind}")


def nchw_constant(value):
    """A TFLite (NHWC) constant as a torch tensor that broadcasts the same way in NCHW."""
    tensor = torch.from_numpy(numpy.array(value, dtype=numpy.float32))
    if tensor.dim() == 4:
        return tensor.permute(0, 3, 1, 2).contiguous()
    if tensor.dim() == 1:
        return tensor.view(1, -1, 1, 1)
    return tensor


class TFLiteGraph(torch.nn.Module):
    """Runs a TFLite graph's operators in order on NCHW tensors. Traced, not scripted: the graph
    is fixed, and tracing records exactly the torch operations each TFLite op becomes."""

    def __init__(self, path):
        super().__init__()
        data = open(path, "rb").read() if isinstance(path, str) else path
        model = tflite.Model.GetRootAsModel(data, 0)
        self.graph = model.Subgraphs(0)
        names = opcode_names(model)
        self.input_index = self.graph.Inputs(0)
        self.output_index = self.graph.Outputs(0)
        self.constants = {}
        self.ops = []
        for i in range(self.graph.TensorsLength()):
            value = tensor_value(model, self.graph, i)
            if value is not None:
                self.constants[i] = value.astype(numpy.float32) if value.dtype == numpy.float16 else value
        for i in range(self.graph.OperatorsLength()):
            op = self.graph.Operators(i)
            name = names[op.OpcodeIndex()]
            inputs = [op.Inputs(j) for j in range(op.InputsLength())]
            outputs = [op.Outputs(j) for j in range(op.OutputsLength())]
            if name == "DEQUANTIZE":
                # float16 weights: dequantised once, here.
                self.constants[outputs[0]] = self.constants[inputs[0]].astype(numpy.float32)
                continue
            self.ops.append((name, inputs, outputs, self.options(name, op)))
        # Weights become buffers of the module, in torch's layouts.
        self.weights = {}
        for index, (name, inputs, _, _) in enumerate(self.ops):
            if name == "CONV_2D":
                self.add(index, "w", torch.from_numpy(self.constants[inputs[1]]).permute(0, 3, 1, 2))
            elif name == "DEPTHWISE_CONV_2D":
                self.add(index, "w", torch.from_numpy(self.constants[inputs[1]]).permute(3, 0, 1, 2))
            elif name == "Convolution2DTransposeBias":
                self.add(index, "w", torch.from_numpy(self.constants[inputs[1]]).permute(3, 0, 1, 2))
            if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "Convolution2DTransposeBias") and len(inputs) > 2 and inputs[2] >= 0:
                self.add(index, "b", torch.from_numpy(self.constants[inputs[2]]))
            for position, tensor in enumerate(inputs):
                if name in ("ADD", "MUL") and tensor in self.constants:
                    self.add(index, f"c{position}", nchw_constant(self.constants[tensor]))

    def add(self, index, kind, tensor):
        name = f"op{index}_{kind}"
        self.register_buffer(name, tensor.contiguous().float())
        self.weights[(index, kind)] = name

    def weight(self, index, kind):
        name = self.weights.get((index, kind))
        return getattr(self, name) if name else None

    @staticmethod
    def options(name, op):
        raw = op.BuiltinOptions()
        if name == "CONV_2D":
            o = tflite.Conv2DOptions()
            o.Init(raw.Bytes, raw.Pos)
            assert o.DilationWFactor() == 1 and o.DilationHFactor() == 1
            return dict(padding=o.Padding(), stride=(o.StrideH(), o.StrideW()), act=o.FusedActivationFunction())
        if name == "DEPTHWISE_CONV_2D":
            o = tflite.DepthwiseConv2DOptions()
            o.Init(raw.Bytes, raw.Pos)
            assert o.DepthMultiplier() == 1
            return dict(padding=o.Padding(), stride=(o.StrideH(), o.StrideW()), act=o.FusedActivationFunction())
        if name == "AVERAGE_POOL_2D":
            o = tflite.Pool2DOptions()
            o.Init(raw.Bytes, raw.Pos)
            return dict(padding=o.Padding(), stride=(o.StrideH(), o.StrideW()), kernel=(o.FilterHeight(), o.FilterWidth()),
                        act=o.FusedActivationFunction())
        if name in ("ADD", "MUL"):
            o = tflite.AddOptions() if name == "ADD" else tflite.MulOptions()
            o.Init(raw.Bytes, raw.Pos)
            return dict(act=o.FusedActivationFunction())
        if name == "RESIZE_BILINEAR":
            o = tflite.ResizeBilinearOptions()
            o.Init(raw.Bytes, raw.Pos)
            # half_pixel_centers is what torch's align_corners=False does; TFLite's legacy mode
            # (neither flag) has no torch equivalent.
            if not o.HalfPixelCenters() and not o.AlignCorners():
                raise ValueError("legacy RESIZE_BILINEAR (no half-pixel centres) is not supported")
            return dict(align_corners=bool(o.AlignCorners()))
        if name == "MEAN":
            o = tflite.ReducerOptions()
            o.Init(raw.Bytes, raw.Pos)
            return dict(keep=bool(o.KeepDims()))
        if name == "Convolution2DTransposeBias":
            # MediaPipe's custom op carries TfLiteTransposeConvParams: padding, stride_w, stride_h.
            padding, stride_w, stride_h = numpy.frombuffer(op.CustomOptionsAsNumpy().tobytes(), dtype=numpy.int32)[:3]
            return dict(padding=int(padding), stride=(int(stride_h), int(stride_w)))
        if name in ("RELU", "HARD_SWISH", "LOGISTIC"):
            return {}
        raise ValueError(f"unsupported TFLite operator {name}")

    def conv(self, x, index, options, groups):
        weight = self.weight(index, "w")
        kh, kw = weight.shape[2], weight.shape[3]
        if options["padding"] == SAME:
            top, bottom = same_padding(x.shape[2], kh, options["stride"][0])
            left, right = same_padding(x.shape[3], kw, options["stride"][1])
            if top or bottom or left or right:
                x = F.pad(x, (left, right, top, bottom))
        return F.conv2d(x, weight, self.weight(index, "b"), stride=options["stride"], groups=groups)

    def forward(self, x):
        values = {self.input_index: x}

        def get(index, position, op_index):
            if index in values:
                return values[index]
            return self.weight(op_index, f"c{position}")

        for index, (name, inputs, outputs, options) in enumerate(self.ops):
            a = values.get(inputs[0])
            if name == "CONV_2D":
                y = activation(self.conv(a, index, options, 1), options["act"])
            elif name == "DEPTHWISE_CONV_2D":
                y = activation(self.conv(a, index, options, a.shape[1]), options["act"])
            elif name == "RELU":
                y = F.relu(a)
            elif name == "HARD_SWISH":
                y = a * F.relu6(a + 3.0) / 6.0
            elif name == "LOGISTIC":
                y = torch.sigmoid(a)
            elif name == "ADD":
                y = activation(get(inputs[0], 0, index) + get(inputs[1], 1, index), options["act"])
            elif name == "MUL":
                y = activation(get(inputs[0], 0, index) * get(inputs[1], 1, index), options["act"])
            elif name == "AVERAGE_POOL_2D":
                assert options["padding"] == VALID or tuple(a.shape[2:]) == options["kernel"]
                y = activation(F.avg_pool2d(a, options["kernel"], options["stride"]), options["act"])
            elif name == "MEAN":
                axes = [int(v) for v in self.constants[inputs[1]]]
                assert sorted(axes) == [1, 2], f"MEAN over {axes}"
                y = a.mean(dim=(2, 3), keepdim=options["keep"])
            elif name == "RESIZE_BILINEAR":
                height, width = (int(v) for v in self.constants[inputs[1]])
                y = F.interpolate(a, size=(height, width), mode="bilinear", align_corners=options["align_corners"])
            elif name == "Convolution2DTransposeBias":
                weight = self.weight(index, "w")  # [in, out, kh, kw]
                y = F.conv_transpose2d(a, weight, self.weight(index, "b"), stride=options["stride"])
                if options["padding"] == SAME:
                    out_h, out_w = a.shape[2] * options["stride"][0], a.shape[3] * options["stride"][1]
                    top = max((a.shape[2] - 1) * options["stride"][0] + weight.shape[2] - out_h, 0) // 2
                    left = max((a.shape[3] - 1) * options["stride"][1] + weight.shape[3] - out_w, 0) // 2
                    y = y[:, :, top:top + out_h, left:left + out_w]
            else:
                raise ValueError(name)
            values[outputs[0]] = y
        return values[self.output_index]


class PersonScores(torch.nn.Module):
    """[N,3,H,W] RGB in [0,1] → [N,2,H,W]: background and person probability."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph

    def forward(self, x):
        probability = self.graph(x)
        return torch.cat([1.0 - probability, probability], dim=1)


def convert(data, width, height, output, provenance):
    graph = TFLiteGraph(data).eval()
    module = PersonScores(graph).eval()
    example = torch.rand(1, 3, height, width)
    with torch.no_grad(), warnings.catch_warnings():
        # Padding and resize sizes are Python ints taken from shapes: constants in the trace,
        # which is right, since the model works at its one input size only.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(module, example, check_trace=True)
    metadata = {
        "labels": ["background", "person"],
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "input_size": [width, height],
        "fixed_input_size": True,
        "scores": "probabilities",
        "source": provenance,
    }
    traced.save(output, _extra_files={"videoseg.json": json.dumps(metadata)})
    return graph


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", help="the mediapipe-0.10.14 wheel (pip download --no-deps mediapipe==0.10.14)")
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="folder for the .pt files")
    args = parser.parse_args()
    wheel_name = os.path.basename(args.wheel)
    with zipfile.ZipFile(args.wheel) as wheel:
        for member, (name, width, height) in MODELS.items():
            data = wheel.read(member)
            digest = hashlib.sha256(data).hexdigest()
            provenance = f"{wheel_name}:{member} sha256 {digest}"
            output = os.path.join(args.out, name)
            convert(bytearray(data), width, height, output, provenance)
            print(f"{output}: from {member} ({width}x{height}), sha256 {digest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
