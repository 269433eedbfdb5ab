#!/usr/bin/env python3
"""Regenerate golden test vectors with PyTorch.

Run from the repository root:
    /usr/bin/python3 tests/golden/make_goldens.py

Writes float32 little-endian C-order .npy files into tests/golden/data/
and a manifest into tests/golden/manifest.json.
"""
import json
import os
import random
import re

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
MANIFEST = os.path.join(HERE, "manifest.json")
SEED = 20240607

torch.manual_seed(SEED)
np.random.seed(SEED)
gen = torch.Generator().manual_seed(SEED)


def pair(v):
    if isinstance(v, (list, tuple)):
        assert len(v) == 2
        return [int(v[0]), int(v[1])]
    return [int(v), int(v)]


def randn(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32)


def save(fname, t):
    arr = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    assert arr.dtype == np.dtype("<f4") and arr.flags["C_CONTIGUOUS"]
    np.save(os.path.join(DATA, fname), arr)
    return fname


# ---------------------------------------------------------------- conv_transpose2d

def ct_out_size(h, k, s, p, op, d):
    return (h - 1) * s - 2 * p + d * (k - 1) + op + 1


def ct_geometry(name, n, cin, cout, hw, k, s, p, op, d, g, unbatched):
    """A conv_transpose2d case's per-axis pairs, checked, and the output shape PyTorch must give."""
    k, s, p, op, d, hw = pair(k), pair(s), pair(p), pair(op), pair(d), pair(hw)
    assert cin % g == 0 and cout % g == 0, name
    for a in range(2):
        assert op[a] < s[a] or op[a] < d[a], (name, "invalid output_padding")
        assert ct_out_size(hw[a], k[a], s[a], p[a], op[a], d[a]) >= 1, (name, "empty output")
    exp_shape = ([] if unbatched else [n]) + [cout] + [
        ct_out_size(hw[a], k[a], s[a], p[a], op[a], d[a]) for a in range(2)]
    return hw, k, s, p, op, d, exp_shape


def ct_case(name, note, *, n=1, cin, cout, hw, k, s=1, p=0, op=0, d=1, g=1,
            bias=True, unbatched=False):
    hw, k, s, p, op, d, exp_shape = ct_geometry(name, n, cin, cout, hw, k, s, p, op, d, g, unbatched)
    x = randn(cin, *hw) if unbatched else randn(n, cin, *hw)
    w = randn(cin, cout // g, *k)
    b = randn(cout) if bias else None
    y = F.conv_transpose2d(x.double(), w.double(), None if b is None else b.double(),
                           stride=tuple(s), padding=tuple(p), output_padding=tuple(op),
                           groups=g, dilation=tuple(d))
    assert list(y.shape) == exp_shape, (name, list(y.shape), exp_shape)
    pre = "ct_" + name
    return {
        "name": name,
        "input": save(pre + "_input.npy", x),
        "weight": save(pre + "_weight.npy", w),
        "bias": save(pre + "_bias.npy", b) if b is not None else None,
        "stride": s, "padding": p, "output_padding": op, "dilation": d, "groups": g,
        "expected": save(pre + "_expected.npy", y.float()),
        "note": note,
    }


def conv_transpose_cases():
    C = []
    C.append(ct_case("basic_k3s1p0", "basic k3 s1 p0 with bias",
                     cin=3, cout=4, hw=5, k=3))
    C.append(ct_case("dcgan_k4s2p1", "DCGAN upsampling block k4 s2 p1, no bias",
                     cin=8, cout=4, hw=4, k=4, s=2, p=1, bias=False))
    C.append(ct_case("gan_k5s2p2op1", "GAN generator k5 s2 p2 output_padding 1 (exact 2x upsample)",
                     cin=4, cout=3, hw=4, k=5, s=2, p=2, op=1))
    C.append(ct_case("sr_k3s2p1op1", "super-resolution k3 s2 p1 op1 (exact 2x upsample)",
                     cin=4, cout=4, hw=5, k=3, s=2, p=1, op=1))
    C.append(ct_case("same_k3s1p1", "stride 1 padding 1 k3 (same-size output)",
                     cin=4, cout=5, hw=6, k=3, s=1, p=1))
    C.append(ct_case("asym_stride_pad_op", "asymmetric stride (2,3), padding (1,0), output_padding (1,2)",
                     cin=3, cout=4, hw=4, k=3, s=(2, 3), p=(1, 0), op=(1, 2)))
    C.append(ct_case("nonsquare_kernel_3x5", "non-square kernel (3,5), stride 2, padding (1,2)",
                     cin=3, cout=2, hw=5, k=(3, 5), s=2, p=(1, 2)))
    C.append(ct_case("nonsquare_input", "non-square input 3x7, k3 s2 p1",
                     cin=2, cout=3, hw=(3, 7), k=3, s=2, p=1))
    C.append(ct_case("groups2", "groups 2 (C_in 4, C_out 6)",
                     cin=4, cout=6, hw=4, k=3, s=2, p=1, g=2))
    C.append(ct_case("groups4", "groups 4 (C_in 8, C_out 4), op1",
                     cin=8, cout=4, hw=4, k=3, s=2, p=1, op=1, g=4))
    C.append(ct_case("depthwise_mult1", "depthwise: groups == C_in == C_out (C_out/groups = 1)",
                     cin=4, cout=4, hw=5, k=3, s=2, p=1, g=4))
    C.append(ct_case("depthwise_mult2", "depthwise: groups == C_in, C_out/groups = 2",
                     cin=4, cout=8, hw=4, k=4, s=2, p=1, g=4, bias=False))
    C.append(ct_case("dilation2", "dilation 2, stride 1",
                     cin=3, cout=3, hw=5, k=3, d=2))
    C.append(ct_case("dilation_2x3", "asymmetric dilation (2,3), padding (1,2)",
                     cin=3, cout=2, hw=5, k=3, p=(1, 2), d=(2, 3)))
    C.append(ct_case("dilation2_stride2", "dilation 2 with stride 2, padding 1",
                     cin=3, cout=4, hw=4, k=3, s=2, p=1, d=2))
    C.append(ct_case("op_via_dilation_s1d3", "output_padding 2 >= stride 1, allowed because < dilation 3",
                     cin=2, cout=3, hw=4, k=3, s=1, d=3, op=2))
    C.append(ct_case("op_via_dilation_s2d3", "output_padding 2 >= stride 2, allowed because < dilation 3",
                     cin=2, cout=3, hw=4, k=3, s=2, p=1, d=3, op=2))
    C.append(ct_case("pad_gt_kernel_extent", "padding 3 > d*(k-1)=2: k3 d1 p3 s3, output still >= 1",
                     cin=2, cout=3, hw=5, k=3, s=3, p=3))
    C.append(ct_case("k1_s2", "kernel smaller than stride: k1 s2 (zeros between samples)",
                     cin=3, cout=2, hw=4, k=1, s=2))
    C.append(ct_case("k2_s3", "kernel smaller than stride: k2 s3 (zero rows/cols in output)",
                     cin=3, cout=2, hw=4, k=2, s=3, p=0, op=1))
    C.append(ct_case("holes_k2s2d2", "holes: k2 s2 d2 (taps overlap at every other position)",
                     cin=2, cout=3, hw=4, k=2, s=2, d=2))
    C.append(ct_case("in1x1_k4s1p0", "1x1 spatial input, k4 s1 p0 -> 4x4 (DCGAN first layer)",
                     cin=8, cout=4, hw=1, k=4))
    C.append(ct_case("in1x1_k3s2", "1x1 spatial input, k3 s2 -> 3x3",
                     cin=3, cout=4, hw=1, k=3, s=2))
    C.append(ct_case("in1x1_k4s2p1", "1x1 spatial input, k4 s2 p1 -> 2x2",
                     cin=3, cout=2, hw=1, k=4, s=2, p=1))
    C.append(ct_case("batch3_bias", "batch 3 with bias, k3 s2 p1 op1",
                     n=3, cin=3, cout=4, hw=4, k=3, s=2, p=1, op=1))
    C.append(ct_case("batch3_nobias", "batch 3 without bias, k4 s2 p1",
                     n=3, cin=4, cout=2, hw=3, k=4, s=2, p=1, bias=False))
    C.append(ct_case("unbatched_3d", "unbatched 3-D input [C,H,W]; expected is 3-D [C_out,OH,OW]",
                     cin=3, cout=4, hw=(4, 5), k=3, s=2, p=1, op=1, unbatched=True))
    C.append(ct_case("fractional_op_1x0", "output_padding (1,0) with stride 2, padding 1 (odd/even output sizes)",
                     cin=3, cout=3, hw=4, k=3, s=2, p=1, op=(1, 0)))

    # Random valid configurations from a seeded generator.
    rng = random.Random(SEED + 1)
    added, tries = 0, 0
    while added < 10:
        tries += 1
        assert tries < 10000
        k = [rng.randint(1, 5) for _ in range(2)]
        s = [rng.randint(1, 3) for _ in range(2)]
        d = [rng.randint(1, 3) for _ in range(2)]
        p = [rng.randint(0, 3) for _ in range(2)]
        op = [rng.randint(0, max(s[a], d[a]) - 1) for a in range(2)]
        hw = [rng.randint(1, 8) for _ in range(2)]
        g = rng.choice([1, 1, 2, 3, 4])
        cin = g * rng.randint(1, max(1, 8 // g))
        cout = g * rng.randint(1, max(1, 8 // g))
        n = rng.randint(1, 2)
        bias = rng.random() < 0.5
        outs = [ct_out_size(hw[a], k[a], s[a], p[a], op[a], d[a]) for a in range(2)]
        if min(outs) < 1 or max(outs) > 24:
            continue
        added += 1
        C.append(ct_case(
            "random_%02d" % added,
            "random valid config: n%d cin%d cout%d hw%s k%s s%s p%s op%s d%s g%d bias=%s" % (
                n, cin, cout, hw, k, s, p, op, d, g, bias),
            n=n, cin=cin, cout=cout, hw=hw, k=k, s=s, p=p, op=op, d=d, g=g, bias=bias))
    return C


# ---------------------------------------------------------------- conv2d

def conv_out_size(h, k, s, p, d):
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


def conv_geometry(name, n, cin, cout, hw, k, s, p, d, g, unbatched):
    """A conv2d case's per-axis pairs, checked, and the output shape PyTorch must give."""
    k, s, p, d, hw = pair(k), pair(s), pair(p), pair(d), pair(hw)
    assert cin % g == 0 and cout % g == 0, name
    exp_shape = ([] if unbatched else [n]) + [cout] + [
        conv_out_size(hw[a], k[a], s[a], p[a], d[a]) for a in range(2)]
    assert min(exp_shape) >= 1, (name, exp_shape)
    return hw, k, s, p, d, exp_shape


def conv_case(name, note, *, n=1, cin, cout, hw, k, s=1, p=0, d=1, g=1,
              bias=True, unbatched=False):
    hw, k, s, p, d, exp_shape = conv_geometry(name, n, cin, cout, hw, k, s, p, d, g, unbatched)
    x = randn(cin, *hw) if unbatched else randn(n, cin, *hw)
    w = randn(cout, cin // g, *k)
    b = randn(cout) if bias else None
    y = F.conv2d(x.double(), w.double(), None if b is None else b.double(),
                 stride=tuple(s), padding=tuple(p), dilation=tuple(d), groups=g)
    assert list(y.shape) == exp_shape, (name, list(y.shape), exp_shape)
    pre = "conv_" + name
    return {
        "name": name,
        "input": save(pre + "_input.npy", x),
        "weight": save(pre + "_weight.npy", w),
        "bias": save(pre + "_bias.npy", b) if b is not None else None,
        "stride": s, "padding": p, "dilation": d, "groups": g,
        "expected": save(pre + "_expected.npy", y.float()),
        "note": note,
    }


def conv2d_cases():
    C = []
    C.append(conv_case("basic_k3", "basic k3 s1 p0 with bias", cin=3, cout=4, hw=6, k=3))
    C.append(conv_case("stride2", "stride 2, k3 p1", cin=3, cout=4, hw=7, k=3, s=2, p=1))
    C.append(conv_case("padding2", "padding 2, k5", cin=2, cout=3, hw=5, k=5, p=2))
    C.append(conv_case("dilation2", "dilation 2, padding 2", cin=3, cout=2, hw=7, k=3, p=2, d=2))
    C.append(conv_case("groups2", "groups 2 (C_in 4, C_out 6)", cin=4, cout=6, hw=5, k=3, p=1, g=2))
    C.append(conv_case("depthwise", "depthwise groups == C_in == C_out", cin=4, cout=4, hw=5, k=3, p=1, g=4))
    C.append(conv_case("asym_pairs", "asymmetric kernel (3,5), stride (2,1), padding (1,2), dilation (1,2)",
                       cin=3, cout=4, hw=(7, 9), k=(3, 5), s=(2, 1), p=(1, 2), d=(1, 2)))
    C.append(conv_case("nobias", "no bias, k3 s1 p1", cin=3, cout=5, hw=5, k=3, p=1, bias=False))
    C.append(conv_case("batch2", "batch 2, k3 s2 p1", n=2, cin=3, cout=4, hw=6, k=3, s=2, p=1))
    C.append(conv_case("unbatched_3d", "unbatched 3-D input [C,H,W]; expected is 3-D [C_out,OH,OW]",
                       cin=3, cout=2, hw=(5, 6), k=3, p=1, unbatched=True))
    C.append(conv_case("k1_1x1", "1x1 kernel (pointwise), stride 2",
                       cin=4, cout=3, hw=5, k=1, s=2))
    return C


# ---------------------------------------------------------------- interpolate

def interp_case(name, note, *, n=1, c=2, hw, mode, size=None, scale=None,
                align_corners=False):
    hw = pair(hw)
    x = randn(n, c, *hw)
    kwargs = {"mode": mode}
    if size is not None:
        kwargs["size"] = tuple(pair(size))
    if scale is not None:
        kwargs["scale_factor"] = (float(scale[0]), float(scale[1]))
    if mode != "nearest":
        kwargs["align_corners"] = align_corners
    else:
        assert not align_corners
    y = F.interpolate(x, **kwargs)  # float32 on purpose
    assert y.dtype == torch.float32
    pre = "interp_" + name
    return {
        "name": name,
        "input": save(pre + "_input.npy", x),
        "mode": mode,
        "size": pair(size) if size is not None else None,
        "scale_factor": [float(scale[0]), float(scale[1])] if scale is not None else None,
        "align_corners": bool(align_corners),
        "expected": save(pre + "_expected.npy", y),
        "note": note,
    }


def interpolate_cases():
    C = []
    C.append(interp_case("nearest_scale2", "nearest, scale_factor (2,2)",
                         hw=(3, 4), mode="nearest", scale=(2.0, 2.0)))
    C.append(interp_case("nearest_size_4x3_to_7x5", "nearest, size 4x3 -> 7x5",
                         hw=(4, 3), mode="nearest", size=(7, 5)))
    C.append(interp_case("nearest_down_9x7_to_4x3", "nearest downscale by size 9x7 -> 4x3",
                         hw=(9, 7), mode="nearest", size=(4, 3)))
    C.append(interp_case("nearest_scale_1p5x2p5", "nearest, scale_factor (1.5, 2.5)",
                         hw=(4, 3), mode="nearest", scale=(1.5, 2.5)))
    C.append(interp_case("bilinear_ac0_scale2", "bilinear align_corners=False, scale_factor (2,2)",
                         hw=(4, 5), mode="bilinear", scale=(2.0, 2.0)))
    C.append(interp_case("bilinear_ac0_scale_3x2p5", "bilinear align_corners=False, scale_factor (3, 2.5)",
                         hw=(3, 4), mode="bilinear", scale=(3.0, 2.5)))
    C.append(interp_case("bilinear_ac0_size_up_5x4_to_11x9", "bilinear align_corners=False, size 5x4 -> 11x9",
                         hw=(5, 4), mode="bilinear", size=(11, 9)))
    C.append(interp_case("bilinear_ac0_size_down_9x8_to_4x3", "bilinear align_corners=False, size 9x8 -> 4x3",
                         hw=(9, 8), mode="bilinear", size=(4, 3)))
    C.append(interp_case("bilinear_ac1_size_up_5x4_to_11x9", "bilinear align_corners=True, size 5x4 -> 11x9",
                         hw=(5, 4), mode="bilinear", size=(11, 9), align_corners=True))
    C.append(interp_case("bilinear_ac1_size_down_9x8_to_4x3", "bilinear align_corners=True, size 9x8 -> 4x3",
                         hw=(9, 8), mode="bilinear", size=(4, 3), align_corners=True))
    C.append(interp_case("bilinear_ac1_scale2", "bilinear align_corners=True, scale_factor (2,2)",
                         hw=(4, 5), mode="bilinear", scale=(2.0, 2.0), align_corners=True))
    C.append(interp_case("bilinear_ac1_to_1x1", "bilinear align_corners=True, size 5x4 -> 1x1",
                         hw=(5, 4), mode="bilinear", size=(1, 1), align_corners=True))
    C.append(interp_case("bilinear_ac0_to_1x1", "bilinear align_corners=False, size 5x4 -> 1x1",
                         hw=(5, 4), mode="bilinear", size=(1, 1), align_corners=False))
    C.append(interp_case("nearest_batch2_scale3", "nearest, batch 2, 3 channels, scale_factor (3,3)",
                         n=2, c=3, hw=(2, 3), mode="nearest", scale=(3.0, 3.0)))
    # With scale_factor given and recompute_scale_factor left at its default,
    # PyTorch maps output->input coordinates with 1/scale_factor, NOT in/out.
    # These two cases have non-integral in*scale so the two rules disagree.
    C.append(interp_case("nearest_scale_1p7x0p6_uses_scale",
                         "nearest, scale_factor (1.7, 0.6), 5x8 -> 8x4; source index uses 1/scale, not in/out "
                         "(the two rules give different indices here)",
                         hw=(5, 8), mode="nearest", scale=(1.7, 0.6)))
    C.append(interp_case("bilinear_ac0_scale_1p3x0p7_uses_scale",
                         "bilinear align_corners=False, scale_factor (1.3, 0.7), 5x7 -> 6x4; source coordinate "
                         "uses 1/scale, not in/out",
                         hw=(5, 7), mode="bilinear", scale=(1.3, 0.7)))
    return C


# ---------------------------------------------------------------- autograd goldens (backward passes)
#
# Appended after the forward cases with their own generator so that the forward data above never moves.
# y = op(x, w, b) in float64, then y.backward(g) with a random grad_output g of y's shape; the expected
# x.grad, w.grad and b.grad are rounded to float32.

BWD_SEED = SEED + 2
bgen = torch.Generator().manual_seed(BWD_SEED)


def brandn(*shape):
    return torch.randn(*shape, generator=bgen, dtype=torch.float32)


def autograd(fn, x, w, b):
    """Returns (y, g, x.grad, w.grad, b.grad or None) for y = fn(x, w, b) in float64."""
    xd = x.double().requires_grad_(True)
    wd = w.double().requires_grad_(True)
    bd = None if b is None else b.double().requires_grad_(True)
    y = fn(xd, wd, bd)
    g = brandn(*y.shape)
    y.backward(g.double())
    return y, g, xd.grad, wd.grad, (None if bd is None else bd.grad)


def backward_entry(pre, name, note, x, w, b, g, gx, gw, gb, geometry):
    assert gx.shape == x.shape and gw.shape == w.shape, name
    assert (gb is None) == (b is None) and (gb is None or gb.shape == b.shape), name
    entry = {
        "name": name,
        "input": save(pre + "_input.npy", x),
        "weight": save(pre + "_weight.npy", w),
        "bias": save(pre + "_bias.npy", b) if b is not None else None,
        "grad_output": save(pre + "_grad_output.npy", g),
    }
    entry.update(geometry)
    entry.update({
        "expected_grad_input": save(pre + "_grad_input.npy", gx.float()),
        "expected_grad_weight": save(pre + "_grad_weight.npy", gw.float()),
        "expected_grad_bias": save(pre + "_grad_bias.npy", gb.float()) if gb is not None else None,
        "note": note,
    })
    return entry


def ct_bwd_case(name, note, *, n=1, cin, cout, hw, k, s=1, p=0, op=0, d=1, g=1,
                bias=True, unbatched=False):
    hw, k, s, p, op, d, exp_shape = ct_geometry(name, n, cin, cout, hw, k, s, p, op, d, g, unbatched)
    x = brandn(cin, *hw) if unbatched else brandn(n, cin, *hw)
    w = brandn(cin, cout // g, *k)
    b = brandn(cout) if bias else None

    def fn(xd, wd, bd):
        return F.conv_transpose2d(xd, wd, bd, stride=tuple(s), padding=tuple(p), output_padding=tuple(op),
                                  groups=g, dilation=tuple(d))

    y, gout, gx, gw, gb = autograd(fn, x, w, b)
    assert list(y.shape) == exp_shape, (name, list(y.shape), exp_shape)
    return backward_entry("ctb_" + name, name, note, x, w, b, gout, gx, gw, gb,
                          {"stride": s, "padding": p, "output_padding": op, "dilation": d, "groups": g})


def conv_transpose_backward_cases():
    C = []
    C.append(ct_bwd_case("basic_k3s1p0", "basic k3 s1 p0 with bias",
                         cin=3, cout=4, hw=4, k=3))
    C.append(ct_bwd_case("dcgan_k4s2p1_batch2_nobias", "DCGAN block k4 s2 p1, batch 2, no bias",
                         n=2, cin=4, cout=3, hw=3, k=4, s=2, p=1, bias=False))
    C.append(ct_bwd_case("asym_stride_pad_op", "asymmetric stride (2,3), padding (1,0), output_padding (1,2)",
                         cin=3, cout=2, hw=(3, 4), k=3, s=(2, 3), p=(1, 0), op=(1, 2)))
    C.append(ct_bwd_case("nonsquare_kernel_dilation_2x1", "kernel (3,5), dilation (2,1), padding (2,1), stride (1,2)",
                         cin=2, cout=3, hw=(4, 3), k=(3, 5), s=(1, 2), p=(2, 1), d=(2, 1)))
    C.append(ct_bwd_case("groups2", "groups 2 (C_in 4, C_out 6), k3 s2 p1 op1",
                         cin=4, cout=6, hw=3, k=3, s=2, p=1, op=1, g=2))
    C.append(ct_bwd_case("depthwise_mult2_nobias", "depthwise: groups == C_in == 4, C_out/groups = 2, no bias",
                         cin=4, cout=8, hw=3, k=3, s=2, p=1, g=4, bias=False))
    C.append(ct_bwd_case("dilation_2x3", "asymmetric dilation (2,3), padding (1,2)",
                         cin=2, cout=3, hw=4, k=3, p=(1, 2), d=(2, 3)))
    C.append(ct_bwd_case("op_via_dilation_s2d3", "output_padding 2 >= stride 2, allowed because < dilation 3",
                         cin=2, cout=3, hw=3, k=3, s=2, p=1, d=3, op=2))
    C.append(ct_bwd_case("op_via_dilation_s1d3_1x2", "output_padding (2,1) >= stride 1, allowed because < dilation (3,2)",
                         cin=2, cout=2, hw=(3, 4), k=3, s=1, d=(3, 2), op=(2, 1)))
    C.append(ct_bwd_case("pad_gt_kernel_extent", "padding 3 > d*(k-1)=2: k3 d1 p3 s3 (some inputs reach no output)",
                         cin=2, cout=3, hw=4, k=3, s=3, p=3))
    C.append(ct_bwd_case("k2_s3_op1", "kernel smaller than stride: k2 s3 op1 (zero rows/cols in output)",
                         cin=3, cout=2, hw=3, k=2, s=3, op=1))
    C.append(ct_bwd_case("in1x1_k4s1p0_batch3", "1x1 spatial input, k4 s1 p0 -> 4x4, batch 3",
                         n=3, cin=4, cout=3, hw=1, k=4))
    C.append(ct_bwd_case("batch3_groups2_op1", "batch 3 with bias, groups 2, k3 s2 p1 op1",
                         n=3, cin=4, cout=2, hw=3, k=3, s=2, p=1, op=1, g=2))
    C.append(ct_bwd_case("unbatched_3d", "unbatched 3-D input [C,H,W]; grad_output and grad_input are 3-D",
                         cin=3, cout=4, hw=(3, 4), k=3, s=2, p=1, op=1, unbatched=True))
    return C


def conv_bwd_case(name, note, *, n=1, cin, cout, hw, k, s=1, p=0, d=1, g=1,
                  bias=True, unbatched=False):
    hw, k, s, p, d, exp_shape = conv_geometry(name, n, cin, cout, hw, k, s, p, d, g, unbatched)
    x = brandn(cin, *hw) if unbatched else brandn(n, cin, *hw)
    w = brandn(cout, cin // g, *k)
    b = brandn(cout) if bias else None

    def fn(xd, wd, bd):
        return F.conv2d(xd, wd, bd, stride=tuple(s), padding=tuple(p), dilation=tuple(d), groups=g)

    y, gout, gx, gw, gb = autograd(fn, x, w, b)
    assert list(y.shape) == exp_shape, (name, list(y.shape), exp_shape)
    return backward_entry("convb_" + name, name, note, x, w, b, gout, gx, gw, gb,
                          {"stride": s, "padding": p, "dilation": d, "groups": g})


def conv2d_backward_cases():
    C = []
    C.append(conv_bwd_case("stride2_remainder_batch2_nobias",
                           "stride 2 k3 p0 on 6x6, batch 2, no bias: the last row/col reaches no output (zero grad)",
                           n=2, cin=3, cout=2, hw=6, k=3, s=2, bias=False))
    C.append(conv_bwd_case("groups2_dilation2", "groups 2 (C_in 4, C_out 6), k3 dilation 2 padding 2, with bias",
                           cin=4, cout=6, hw=5, k=3, p=2, d=2, g=2))
    C.append(conv_bwd_case("depthwise_nobias", "depthwise groups == C_in == C_out, stride 2, no bias",
                           cin=4, cout=4, hw=5, k=3, s=2, p=1, g=4, bias=False))
    C.append(conv_bwd_case("asym_pairs", "asymmetric kernel (3,5), stride (2,1), padding (1,2), dilation (1,2)",
                           cin=2, cout=3, hw=(6, 8), k=(3, 5), s=(2, 1), p=(1, 2), d=(1, 2)))
    C.append(conv_bwd_case("pad_gt_kernel_extent", "padding 3 > d*(k-1)=2, k3 s2: border outputs see only padding",
                           cin=2, cout=3, hw=4, k=3, s=2, p=3))
    C.append(conv_bwd_case("k1_s3", "kernel smaller than stride: k1 s3 (skipped pixels get zero grad)",
                           cin=3, cout=2, hw=7, k=1, s=3))
    C.append(conv_bwd_case("in1x1_k3p1_batch3", "1x1 spatial input, k3 p1 -> 1x1, batch 3",
                           n=3, cin=3, cout=4, hw=1, k=3, p=1))
    C.append(conv_bwd_case("unbatched_3d", "unbatched 3-D input [C,H,W]; grad_output and grad_input are 3-D",
                           cin=3, cout=2, hw=(5, 4), k=3, s=(1, 2), p=1, unbatched=True))
    return C


# ---------------------------------------------------------------- main

OPS = ("conv_transpose2d", "conv2d", "interpolate", "conv_transpose2d_backward", "conv2d_backward")


def main():
    os.makedirs(DATA, exist_ok=True)
    for f in os.listdir(DATA):
        if f.endswith(".npy"):
            os.remove(os.path.join(DATA, f))

    manifest = {
        "generator": "tests/golden/make_goldens.py",
        "torch_version": torch.__version__,
        "conv_transpose2d": conv_transpose_cases(),
        "conv2d": conv2d_cases(),
        "interpolate": interpolate_cases(),
        "conv_transpose2d_backward": conv_transpose_backward_cases(),
        "conv2d_backward": conv2d_backward_cases(),
    }
    for op in OPS:
        names = [c["name"] for c in manifest[op]]
        assert len(names) == len(set(names)), op
    text = json.dumps(manifest, indent=2)
    # Keep numeric pairs on one line: "stride": [2, 2].
    text = re.sub(r"\[\s*(-?[\d.]+),\s*(-?[\d.]+)\s*\]", r"[\1, \2]", text)
    assert json.loads(text) == manifest
    with open(MANIFEST, "w") as fh:
        fh.write(text + "\n")

    total = 0
    nfiles = 0
    for f in os.listdir(DATA):
        if f.endswith(".npy"):
            total += os.path.getsize(os.path.join(DATA, f))
            nfiles += 1
    for op in OPS:
        print("%-25s %3d cases" % (op, len(manifest[op])))
    print("total                     %3d cases" % sum(len(manifest[o]) for o in OPS))
    print("data: %d files, %d bytes (%.1f KB)" % (nfiles, total, total / 1024.0))


if __name__ == "__main__":
    main()
