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


def block(size):
    """The divisor of size nearest its square root (1 for a prime)."""
    return min((k for k in range(1, size + 1) if size % k == 0), key=lambda k: abs(k * k - size))


def whole_mean(x, height, width):
    """The mean over the whole map (squeeze-and-excitation), as pools that MKLDNN runs. Its
    pooling adds a window's pixels one after the other in float32, which over a whole 72x128
    map loses about 10 times the precision ATen's mean keeps; as the mean of the means of
    sqrt-sized blocks (equal blocks: the same mean), each sum is short again."""
    kh, kw = block(height), block(width)
    if kh * kw > 1 and kh * kw < height * width:
        x = F.avg_pool2d(x, (kh, kw))
    return F.adaptive_avg_pool2d(x, 1)


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
        # Every tensor's shape is fixed in the flatbuffer (NHWC): pads, crops and sizes below are
        # Python ints from these, constants in the trace, not shape arithmetic run per forward.
        self.shapes = {i: tuple(int(v) for v in self.graph.Tensors(i).ShapeAsNumpy()) for i in range(self.graph.TensorsLength())}
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
        self.resize_after_pointwise()
        # Weights become buffers of the module, in torch's layouts, shaped as `plans` says.
        self.weights = {}
        self.plans = {}
        for index, (name, inputs, outputs, options) in enumerate(self.ops):
            if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                raw = torch.from_numpy(self.constants[inputs[1]])
                weight = raw.permute(0, 3, 1, 2) if name == "CONV_2D" else raw.permute(3, 0, 1, 2)
                weight, self.plans[index] = self.conv_plan(weight, self.shapes[inputs[0]], options)
                self.add(index, "w", weight)
            elif name == "Convolution2DTransposeBias":
                weight = torch.from_numpy(self.constants[inputs[1]]).permute(3, 0, 1, 2)  # [in, out, kh, kw]
                weight, self.plans[index] = self.transpose_plan(weight, self.shapes[inputs[0]],
                                                                self.shapes[outputs[0]], options)
                self.add(index, "w", weight)
            if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "Convolution2DTransposeBias") and len(inputs) > 2 and inputs[2] >= 0:
                bias = torch.from_numpy(self.constants[inputs[2]])
                if self.plans[index].get("shuffle"):
                    bias = bias.repeat_interleave(self.plans[index]["shuffle"] ** 2)
                self.add(index, "b", bias)
            for position, tensor in enumerate(inputs):
                if name in ("ADD", "MUL") and tensor in self.constants:
                    self.add(index, f"c{position}", nchw_constant(self.constants[tensor]))

    def resize_after_pointwise(self):
        """Swap each bilinear resize with the 1x1 convolution (no activation) that alone reads its
        output. Both are linear, the resize mixes pixels within a channel and the convolution
        channels within a pixel, and the resize's weights sum to 1 (so the bias passes through):
        conv(resize(x)) = resize(conv(x)), but on the small side of the resize the convolution
        costs a quarter, and the resize moves out-channels (fewer here) instead of in-channels."""
        readers = {}
        for name, inputs, _, _ in self.ops:
            for tensor in inputs:
                readers[tensor] = readers.get(tensor, 0) + 1
        readers[self.output_index] = readers.get(self.output_index, 0) + 1
        next_tensor = max(self.shapes) + 1
        for i in range(len(self.ops) - 1):
            name, inputs, outputs, options = self.ops[i]
            if name != "RESIZE_BILINEAR" or readers.get(outputs[0]) != 1:
                continue
            following = [j for j in range(i + 1, len(self.ops)) if outputs[0] in self.ops[j][1]]
            j = following[0]
            conv_name, conv_inputs, conv_outputs, conv_options = self.ops[j]
            kernel = self.shapes[conv_inputs[1]]
            if (conv_name != "CONV_2D" or conv_inputs[0] != outputs[0] or kernel[1:3] != (1, 1)
                    or conv_options["stride"] != (1, 1) or conv_options["act"] != NONE):
                continue
            small = next_tensor
            next_tensor += 1
            self.shapes[small] = self.shapes[inputs[0]][:3] + (kernel[0],)
            self.ops[j] = ("RESIZE_BILINEAR", [small] + inputs[1:], conv_outputs, options)
            self.ops[i] = (conv_name, [inputs[0]] + conv_inputs[1:], [small], conv_options)
            # The convolution now runs where the resize ran (its input is ready there), and the
            # resize where the convolution ran.

    @staticmethod
    def conv_plan(weight, in_shape, options):
        """How a TFLite convolution runs in torch. TF's SAME padding, symmetric (stride 1),
        becomes the convolution's own padding. Where SAME pads more after than before (stride
        2, even size), the convolution pads the larger amount on both sides and its kernel grows
        by as many zero taps in front: output i then reads the same pixels with the same weights
        (a zero tap adds an exact 0), and its size is unchanged. Both keep the graph free of pad
        ops, which optimize_for_inference cannot run in MKLDNN (each costs two layout
        conversions); the grown kernels cost less than those."""
        kh, kw = weight.shape[2], weight.shape[3]
        plan = dict(stride=options["stride"], padding=(0, 0))
        if options["padding"] == SAME:
            top, bottom = same_padding(in_shape[1], kh, options["stride"][0])
            left, right = same_padding(in_shape[2], kw, options["stride"][1])
            assert bottom >= top and right >= left
            weight = F.pad(weight, (right - left, 0, bottom - top, 0))
            plan["padding"] = (bottom, right)
        return weight, plan

    @staticmethod
    def transpose_plan(weight, in_shape, out_shape, options):
        """MediaPipe's transposed convolution. With kernel = stride and nothing cropped, as in
        these models, each output pixel is one input pixel times the weights of its phase in the
        stride x stride cell: a 1x1 convolution to out*r*r channels and a pixel shuffle compute
        the same sums, in MKLDNN, instead of ATen's slow_conv_transpose2d."""
        kh, kw = weight.shape[2], weight.shape[3]
        sh, sw = options["stride"]
        full_h, full_w = (in_shape[1] - 1) * sh + kh, (in_shape[2] - 1) * sw + kw
        out_h, out_w = out_shape[1], out_shape[2]
        if options["padding"] == SAME:
            assert (out_h, out_w) == (in_shape[1] * sh, in_shape[2] * sw)
            top, left = max(full_h - out_h, 0) // 2, max(full_w - out_w, 0) // 2
        else:
            assert (out_h, out_w) == (full_h, full_w)
            top = left = 0
        crop = None if (top, left, out_h, out_w) == (0, 0, full_h, full_w) else (top, left, out_h, out_w)
        if kh == kw == sh == sw and crop is None:
            c_in, c_out = weight.shape[0], weight.shape[1]
            return weight.permute(1, 2, 3, 0).reshape(c_out * kh * kw, c_in, 1, 1), dict(shuffle=sh)
        return weight, dict(stride=(sh, sw), crop=crop)

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

    def conv(self, x, index, groups):
        plan = self.plans[index]
        return F.conv2d(x, self.weight(index, "w"), self.weight(index, "b"), stride=plan["stride"],
                        padding=plan["padding"], groups=groups)

    def forward(self, x):
        values = {self.input_index: x}

        def get(index, position, op_index):
            if index in values:
                return values[index]
            return self.weight(op_index, f"c{position}")

        for index, (name, inputs, outputs, options) in enumerate(self.ops):
            a = values.get(inputs[0])
            if name == "CONV_2D":
                y = activation(self.conv(a, index, 1), options["act"])
            elif name == "DEPTHWISE_CONV_2D":
                y = activation(self.conv(a, index, self.shapes[inputs[0]][3]), options["act"])
            elif name == "RELU":
                y = F.relu(a)
            elif name == "HARD_SWISH":
                # TFLite's x * relu6(x + 3) / 6 is torch's hardswish, which MKLDNN runs.
                y = F.hardswish(a)
            elif name == "LOGISTIC":
                y = torch.sigmoid(a)
            elif name == "ADD":
                y = activation(get(inputs[0], 0, index) + get(inputs[1], 1, index), options["act"])
            elif name == "MUL":
                y = activation(get(inputs[0], 0, index) * get(inputs[1], 1, index), options["act"])
            elif name in ("AVERAGE_POOL_2D", "MEAN"):
                in_h, in_w = self.shapes[inputs[0]][1:3]
                if name == "MEAN":
                    axes = [int(v) for v in self.constants[inputs[1]]]
                    assert sorted(axes) == [1, 2], f"MEAN over {axes}"
                    whole, keep = True, options["keep"]
                else:
                    assert options["padding"] == VALID or (in_h, in_w) == options["kernel"]
                    whole, keep = (in_h, in_w) == options["kernel"], True
                if whole:
                    y = whole_mean(a, in_h, in_w)
                    if not keep:
                        y = y.flatten(1)
                else:
                    y = F.avg_pool2d(a, options["kernel"], options["stride"])
                if name == "AVERAGE_POOL_2D":
                    y = activation(y, options["act"])
            elif name == "RESIZE_BILINEAR":
                height, width = (int(v) for v in self.constants[inputs[1]])
                y = F.interpolate(a, size=(height, width), mode="bilinear", align_corners=options["align_corners"])
            elif name == "Convolution2DTransposeBias":
                plan = self.plans[index]
                if "shuffle" in plan:
                    y = F.pixel_shuffle(F.conv2d(a, self.weight(index, "w"), self.weight(index, "b")), plan["shuffle"])
                else:
                    y = F.conv_transpose2d(a, self.weight(index, "w"), self.weight(index, "b"), stride=plan["stride"])
                    if plan["crop"]:
                        top, left, out_h, out_w = plan["crop"]
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
        # Padding and resize sizes are Python ints from the TFLite tensors' shapes: constants in
        # the trace, which is right, since the model works at its one input size only.
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
