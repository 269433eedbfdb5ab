#!/usr/bin/env python3
"""Small PyTorch models exported to ONNX, with PyTorch's outputs, for tests/test_onnx_models.cpp (issue #14).

Regenerate from the repository root (torch 1.13 and onnx 1.12, as Debian's /usr/bin/python3 has them):
    /usr/bin/python3 tests/models/make_models.py

Everything is seeded and static (no dynamic axes), models are in eval mode, and the outputs are rewritten
byte-for-byte the same on every run with the same torch. For each model NAME the script writes, next to itself:

  NAME.onnx                 the model, exported by torch.onnx.export (constant folding on, static shapes)
  NAME.input.npy            the feed, float32, when the graph has one input
  NAME.input.<INPUT>.npy    one file per graph input, when the graph has several (<INPUT> is the graph input's
                            name as given to export's input_names, e.g. unet_step.input.x.npy and
                            unet_step.input.skip.npy)
  NAME.output.npy           PyTorch's output: the same model run in float64 from the float32 weights and inputs,
                            rounded to float32 (every model has one output, named "output")
  NAME.scale.npy            per output element, the magnitude of the sum that produced it: the model run once more
                            in float64 with every weight, bias and value replaced by its absolute value (BatchNorm's
                            affine terms too, interpolation and pixel shuffle applied to the magnitudes, and each
                            activation adding |its output|). A float32 implementation's rounding error is a small
                            multiple of eps * scale, so tests compare |ours - torch| <= rel * scale (see
                            all_close_to_scale in tests/test_util.h); a wrong index or mode is off by O(|value|).

Other tests keep hand-made graphs in this folder too (app_*.onnx); this script leaves them alone.

The models (op types of each exported graph are printed when the script runs; see also the table at the end):

  dcgan            DCGAN generator: latent [1, 16, 1, 1] -> ConvTranspose k4 s1 p0 -> BatchNorm -> ReLU
                   -> ConvTranspose k4 s2 p1 -> BatchNorm -> ReLU -> ConvTranspose k4 s2 p1 -> Tanh -> [1, 3, 16, 16].
                   BatchNorm's running statistics come from a few train-mode passes first. Opset 13. torch keeps
                   BatchNormalization as its own node after ConvTranspose (it folds BN only into a Conv).
  espcn            ESPCN super-resolution on RGB: Conv 5x5 -> Tanh -> Conv 3x3 -> Tanh -> Conv 3x3 to C*r*r = 27
                   -> pixel_shuffle r=3 -> Sigmoid. Opset 13. (Three channels, because with one channel DepthToSpace's
                   CRD and DCR orders are the same permutation and a mode mix-up would go unnoticed.) torch 1.13 exports F.pixel_shuffle as DepthToSpace mode "CRD" at opset
                   >= 11; at opset 9 it would be Reshape -> Transpose (6-D, perm [0, 1, 4, 2, 5, 3]) -> Reshape.
  resize_conv      resize-conv decoder: interpolate nearest x2 -> Conv -> LeakyReLU(0.2) -> interpolate bilinear x2
                   (align_corners=False) -> Conv -> PReLU (per channel). Opset 11: two Resize nodes (nearest with
                   coordinate_transformation_mode "asymmetric" and nearest_mode "floor"; linear with "half_pixel"),
                   each fed roi and scales by Constant nodes.
  unet_step        U-Net decoder step, two inputs x [2, 8, 4, 4] (low resolution) and skip [2, 4, 8, 8]:
                   ConvTranspose k2 s2 -> Concat with skip on channels -> Conv 3x3 p1 -> ReLU -> Conv 3x3 p1
                   -> Add (residual, the ConvTranspose output) -> Mul by a learned per-channel gain [1, 4, 1, 1]
                   (broadcast). Batch 2. Opset 14 (torch 1.13's default).
  upsample_opset9  nn.Upsample(scale_factor=2, mode="nearest") -> Conv 3x3 p1, opset 9: the Upsample op, its scales
                   from a Constant node.
  convt_groups_dilation
                   one ConvTranspose with groups 2, per-axis kernel (3, 2), stride (2, 3), padding (1, 0),
                   output_padding (1, 2), dilation (2, 1) and a bias, then ReLU. Opset 13.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240614


# ---------------------------------------------------------------- float64 value + magnitude twin
#
# Each model's forward() is written with the helpers below. Given plain tensors they are the ordinary ops (what
# torch.onnx.export traces); given a Pair (a float64 value and its magnitude) they compute both.


class Pair:
    def __init__(self, value, scale):
        self.value, self.scale = value, scale


def conv(layer, x):
    if not isinstance(x, Pair):
        return layer(x)
    w, b = layer.weight.abs(), None if layer.bias is None else layer.bias.abs()
    if isinstance(layer, nn.ConvTranspose2d):
        s = F.conv_transpose2d(x.scale, w, b, layer.stride, layer.padding, layer.output_padding, layer.groups,
                               layer.dilation)
    else:
        s = F.conv2d(x.scale, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
    return Pair(layer(x.value), s)


def batch_norm(layer, x):
    if not isinstance(x, Pair):
        return layer(x)
    assert not layer.training
    shape = (1, -1, 1, 1)
    gain = (layer.weight / torch.sqrt(layer.running_var + layer.eps)).view(shape)
    s = gain.abs() * x.scale + (gain * layer.running_mean.view(shape)).abs() + layer.bias.abs().view(shape)
    return Pair(layer(x.value), s)


def act(fn, x, lipschitz=1.0):
    """An activation whose slope is at most `lipschitz`: errors pass through scaled by it, plus |output| rounding."""
    if not isinstance(x, Pair):
        return fn(x)
    y = fn(x.value)
    return Pair(y, lipschitz * x.scale + y.abs())


def same_op(fn, x):
    """A linear op with non-negative weights (interpolation, pixel shuffle): applied to the magnitudes as well."""
    if not isinstance(x, Pair):
        return fn(x)
    return Pair(fn(x.value), fn(x.scale))


def cat(xs, dim):
    if not isinstance(xs[0], Pair):
        return torch.cat(xs, dim)
    return Pair(torch.cat([x.value for x in xs], dim), torch.cat([x.scale for x in xs], dim))


def add(a, b):
    if not isinstance(a, Pair):
        return a + b
    return Pair(a.value + b.value, a.scale + b.scale)


def mul_param(x, p):
    if not isinstance(x, Pair):
        return x * p
    return Pair(x.value * p, x.scale * p.abs())


# ---------------------------------------------------------------- the models


class DCGAN(nn.Module):
    def __init__(self, nz=16, ngf=8, nc=3):
        super().__init__()
        self.ct1 = nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(ngf * 2)
        self.ct2 = nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(ngf)
        self.ct3 = nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)

    def forward(self, z):
        x = act(torch.relu, batch_norm(self.bn1, conv(self.ct1, z)))
        x = act(torch.relu, batch_norm(self.bn2, conv(self.ct2, x)))
        return act(torch.tanh, conv(self.ct3, x))


class ESPCN(nn.Module):
    def __init__(self, channels=3, r=3):
        super().__init__()
        self.r = r
        self.c1 = nn.Conv2d(channels, 16, 5, padding=2)
        self.c2 = nn.Conv2d(16, 8, 3, padding=1)
        self.c3 = nn.Conv2d(8, channels * r * r, 3, padding=1)

    def forward(self, x):
        x = act(torch.tanh, conv(self.c1, x))
        x = act(torch.tanh, conv(self.c2, x))
        x = same_op(lambda t: F.pixel_shuffle(t, self.r), conv(self.c3, x))
        return act(torch.sigmoid, x, lipschitz=0.25)


class ResizeConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 3, 3, padding=1)
        self.prelu = nn.PReLU(3)
        with torch.no_grad():
            self.prelu.weight.copy_(torch.tensor([0.1, -0.3, 0.6]))

    def forward(self, x):
        x = same_op(lambda t: F.interpolate(t, scale_factor=2, mode="nearest"), x)
        x = act(lambda t: F.leaky_relu(t, 0.2), conv(self.c1, x))
        x = same_op(lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False), x)
        slope = max(1.0, float(self.prelu.weight.abs().max())) if isinstance(x, Pair) else 1.0
        return act(self.prelu, conv(self.c2, x), lipschitz=slope)


class UNetStep(nn.Module):
    def __init__(self, cin=8, cskip=4, cout=4):
        super().__init__()
        self.up = nn.ConvTranspose2d(cin, cout, 2, stride=2)
        self.c1 = nn.Conv2d(cout + cskip, cout, 3, padding=1)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.gain = nn.Parameter(torch.empty(1, cout, 1, 1).uniform_(0.5, 1.5))

    def forward(self, x, skip):
        up = conv(self.up, x)
        y = act(torch.relu, conv(self.c1, cat([up, skip], 1)))
        return mul_param(add(conv(self.c2, y), up), self.gain)


class UpsampleConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.c = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return conv(self.c, same_op(self.up, x))


class GroupsDilation(nn.Module):
    def __init__(self):
        super().__init__()
        self.ct = nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                     groups=2, dilation=(2, 1))

    def forward(self, x):
        return act(torch.relu, conv(self.ct, x))


def dcgan_warmup(model):
    """BatchNorm running statistics that are not the identity: a few train-mode passes on shifted latents."""
    model.train()
    for bn in (model.bn1, model.bn2):
        bn.momentum = 0.5
        with torch.no_grad():
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 16, 1, 1) * 1.5 + 0.3)


# name, model factory, {input name: shape}, opset, optional warm-up
MODELS = [
    ("dcgan", DCGAN, {"z": (1, 16, 1, 1)}, 13, dcgan_warmup),
    ("espcn", ESPCN, {"x": (1, 3, 8, 8)}, 13, None),
    ("resize_conv", ResizeConv, {"x": (1, 4, 5, 6)}, 11, None),
    ("unet_step", UNetStep, {"x": (2, 8, 4, 4), "skip": (2, 4, 8, 8)}, 14, None),
    ("upsample_opset9", UpsampleConv, {"x": (1, 3, 5, 4)}, 9, None),
    ("convt_groups_dilation", GroupsDilation, {"x": (1, 4, 5, 6)}, 13, None),
]


def save_npy(path, tensor):
    arr = np.ascontiguousarray(tensor.detach().cpu().numpy().astype("<f4"))
    np.save(path, arr)


def op_summary(model_proto):
    ops, seen = [], set()
    for node in model_proto.graph.node:
        if node.op_type not in seen:
            seen.add(node.op_type)
            ops.append(node.op_type)
    return ops


def make(name, factory, input_shapes, opset, warmup):
    torch.manual_seed(SEED)
    model = factory()
    if warmup:
        warmup(model)
    model.eval()
    inputs = {k: torch.randn(*shape) for k, shape in input_shapes.items()}
    args = tuple(inputs.values())

    path = os.path.join(HERE, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=list(inputs), output_names=["output"], opset_version=opset,
                          do_constant_folding=True, dynamic_axes=None)
        out32 = model(*args)
        twin = factory()
        twin.load_state_dict(model.state_dict())
        twin.double().eval()
        result = twin(*(Pair(a.double(), a.double().abs()) for a in args))

    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input if i.name not in {t.name for t in proto.graph.initializer}] == list(
        inputs), name
    # The export stores the float32 weights; float32 PyTorch must agree with the float64 reference within rounding.
    ratio = ((out32.double() - result.value).abs() / result.scale.clamp_min(1e-30)).max().item()
    assert ratio < 1e-5, (name, ratio)
    assert result.value.abs().max() > 0.05, name

    if len(inputs) == 1:
        save_npy(os.path.join(HERE, name + ".input.npy"), args[0])
    else:
        for k, v in inputs.items():
            save_npy(os.path.join(HERE, f"{name}.input.{k}.npy"), v)
    save_npy(os.path.join(HERE, name + ".output.npy"), result.value)
    save_npy(os.path.join(HERE, name + ".scale.npy"), result.scale)
    print(f"{name}: opset {opset}, inputs {dict((k, list(v.shape)) for k, v in inputs.items())}, "
          f"output {list(result.value.shape)}, float32 torch error / scale <= {ratio:.2e}")
    print(f"  ops: {', '.join(op_summary(proto))}")
    for node in proto.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute if a.type != onnx.AttributeProto.TENSOR}
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
        print(f"    {node.op_type}({', '.join(node.input)}) {attrs if attrs else ''}")


def main():
    print(f"torch {torch.__version__}, onnx {onnx.__version__}")
    torch.use_deterministic_algorithms(True)
    for entry in MODELS:
        make(*entry)
    names = tuple(entry[0] + "." for entry in MODELS)
    total = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE) if f.startswith(names))
    print(f"total size of the files written: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
