#!/usr/bin/env python3
"""Regenerate the trainer's golden trajectories with PyTorch (issue #13, "Tests").

Run from the repository root (after `bash scripts/make_assets.sh` if the scene pattern changed):
    /usr/bin/python3 tests/golden/make_train_goldens.py

For each case it builds the model `convt train` builds (engine/include/convt/train.h) as PyTorch modules, from
PyTorch's default initialisation under a fixed seed, and trains it full-batch for a few steps on a crop of
assets/samples/scene.png (or on a seeded uniform target). It writes into tests/golden/train/:
  <case>_init.safetensors   the initial parameters (features.weight, features.bias, up.weight, up.bias)
  <case>_target.npy         the target [1, C, H, W]
  <case>_input.npy          its f x f average pooling, the model's input
  <case>_final.safetensors  the parameters after the last step
and train_manifest.json with every setting needed to rerun a case and its losses (step 0 before any update,
then after each update). Everything is float32, as the engine computes. Reruns are byte-identical.

This is separate from make_goldens.py so that the op goldens are not regenerated with it.
"""
import functools
import json
import math
import os
import struct
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "train")
MANIFEST = os.path.join(OUT, "train_manifest.json")
IMAGE = "assets/samples/scene.png"  # relative to the repository root
SEED = 20261130

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)  # one summation order, so reruns are byte-identical


# ---------------------------------------------------------------- data

@functools.lru_cache(maxsize=None)
def read_png(path):
    """An 8-bit grey, RGB or RGBA PNG as a uint8 array [H, W, C] (no PIL on the machines; zlib is enough)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (0, 2, 4, 6), (path, header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, cur = line[0], np.frombuffer(line[1:], dtype=np.uint8).astype(np.int32)
        out = np.zeros(stride, dtype=np.int32)
        for i in range(stride):  # the five PNG filters, undone byte by byte
            a = out[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out[i] = (cur[i] + pred) & 255
        rows[y], prev = out, out
    return rows.reshape(height, width, channels).astype(np.uint8)


def image_target(crop, color):
    """The crop [y, x, h, w] of the scene in [0, 1] as [1, C, h, w] float32: value / 255, and grey as
    0.299 R + 0.587 G + 0.114 B, all in float32 (what make_training_data computes from read_image)."""
    pixels = read_png(os.path.join(ROOT, IMAGE))
    y, x, h, w = crop
    assert y + h <= pixels.shape[0] and x + w <= pixels.shape[1], crop
    rgb = torch.from_numpy(pixels[y:y + h, x:x + w, :3].astype(np.float32)).permute(2, 0, 1) / 255.0
    if color == "grey":
        rgb = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).unsqueeze(0)
    return rgb.unsqueeze(0).contiguous()


# ---------------------------------------------------------------- the model (train.h)

def deconv_geometry(k, f):
    p = max(0, math.ceil((k - f) / 2))
    return p, f + 2 * p - k


class Upsampler(nn.Module):
    def __init__(self, kind, f, c_in, k, hidden, resize):
        super().__init__()
        self.kind, self.f, self.resize = kind, f, resize
        c = hidden if hidden > 0 else c_in
        self.features = nn.Sequential(nn.Conv2d(c_in, hidden, 3, padding=1), nn.ReLU()) if hidden > 0 else None
        if kind == "deconv":
            p, op = deconv_geometry(k, f)
            self.up = nn.ConvTranspose2d(c, c_in, k, stride=f, padding=p, output_padding=op)
        elif kind == "resize-conv":
            self.up = nn.Conv2d(c, c_in, k, padding=(k - 1) // 2)
        else:
            self.up = nn.Conv2d(c, c_in * f * f, k, padding=(k - 1) // 2)

    def forward(self, x):
        if self.features is not None:
            x = self.features(x)
        if self.kind == "deconv":
            return self.up(x)
        if self.kind == "resize-conv":
            if self.resize == "nearest":
                x = F.interpolate(x, scale_factor=self.f, mode="nearest")
            else:
                x = F.interpolate(x, scale_factor=self.f, mode="bilinear", align_corners=False)
            return self.up(x)
        return F.pixel_shuffle(self.up(x), self.f)

    def named(self):
        """The parameters under the engine's names, in its order."""
        out = []
        if self.features is not None:
            out += [("features.weight", self.features[0].weight), ("features.bias", self.features[0].bias)]
        return out + [("up.weight", self.up.weight), ("up.bias", self.up.bias)]


# ---------------------------------------------------------------- files

def save_npy(name, t):
    arr = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    np.save(os.path.join(OUT, name), arr)
    return name


def save_safetensors(name, named):
    """A float32 .safetensors file written by hand (no safetensors package): the header's length (u64 LE), the
    JSON header, then the raw little-endian data in the header's order."""
    header, blobs, offset = {}, [], 0
    for key, t in named:
        blob = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4")).tobytes()
        header[key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # pad the header so the data is 8-byte aligned, as the reference writer does
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return name


# ---------------------------------------------------------------- training

def train(model, x, target, loss_kind, opt_kind, lr, momentum, steps):
    """The losses (step 0 before any update, then after each update) and the final parameters."""
    params = [p for _, p in model.named()]
    if opt_kind == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, foreach=False)
    else:
        opt = torch.optim.Adam(params, lr=lr, foreach=False)  # betas (0.9, 0.999), eps 1e-8
    criterion = F.mse_loss if loss_kind == "mse" else F.l1_loss  # reduction "mean"
    losses = []
    for _ in range(steps):
        loss = criterion(model(x), target)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        losses.append(criterion(model(x), target).item())
    return losses


def run_case(spec, index):
    name = spec["name"]
    c_in = 1 if spec["color"] == "grey" else 3
    f, steps = spec["factor"], spec["steps"]
    if spec["image"] is not None:
        target = image_target(spec["crop"], spec["color"])
    else:
        g = torch.Generator().manual_seed(SEED + 1000 + index)
        target = torch.rand(1, c_in, spec["crop"][2], spec["crop"][3], generator=g)
    assert target.shape[2] % f == 0 and target.shape[3] % f == 0, name
    x = F.avg_pool2d(target, f)

    torch.manual_seed(SEED + index)  # PyTorch's default init (kaiming_uniform(a=sqrt(5)), uniform bias)
    model = Upsampler(spec["model"], f, c_in, spec["kernel"], spec["hidden"], spec["resize"])
    with torch.no_grad():
        assert model(x).shape == target.shape, (name, model(x).shape, target.shape)
    entry = dict(spec)
    entry["channels"] = c_in
    entry["init"] = save_safetensors(name + "_init.safetensors", model.named())
    entry["target"] = save_npy(name + "_target.npy", target)
    entry["input"] = save_npy(name + "_input.npy", x)

    # The same run in float64 from the same float32 start: how much float32 rounding alone moves the
    # trajectory, printed so the C++ test's tolerance can be judged against it.
    model64 = Upsampler(spec["model"], f, c_in, spec["kernel"], spec["hidden"], spec["resize"]).double()
    model64.load_state_dict(model.state_dict())
    losses64 = train(model64, x.double(), target.double(), spec["loss"], spec["optimizer"], spec["lr"],
                     spec["momentum"], steps)

    losses = train(model, x, target, spec["loss"], spec["optimizer"], spec["lr"], spec["momentum"], steps)
    entry["losses"] = losses
    entry["final"] = save_safetensors(name + "_final.safetensors", model.named())
    drift = max(abs(a - b) / abs(b) for a, b in zip(losses, losses64))
    print("%-34s %s  float32 vs float64: %.1e" % (name, " ".join("%.5f" % v for v in losses), drift))
    return entry


# Every model kind; factors 2, 3 and 4; k < f (holes) for deconv; hidden 0 and > 0; nearest and bilinear;
# grey and RGB; MSE and L1; SGD with momentum and Adam; the scene (crops [y, x, h, w] of its house, tree, lake,
# ball, sun and hills) and two uniform random targets.
def case(name, note, model, factor, kernel, *, hidden=0, resize=None, color="grey", loss="mse", optimizer="adam",
         lr=None, momentum=0.9, steps=5, crop, image=IMAGE):
    if lr is None:
        lr = 0.01  # Adam's lr in the experiment; SGD cases give theirs (a stable one for that model)
    return {"name": name, "note": note, "model": model, "factor": factor, "kernel": kernel, "hidden": hidden,
            "resize": resize, "color": color, "loss": loss, "optimizer": optimizer, "lr": lr,
            "momentum": momentum if optimizer == "sgd" else 0.0, "betas": [0.9, 0.999], "eps": 1e-8,
            "steps": steps, "image": image, "crop": crop}


CASES = [
    case("deconv_k4_f2_grey_sgd_mse", "deconv k4 s2 (even overlap), SGD with momentum, on the house's edge",
         "deconv", 2, 4, optimizer="sgd", lr=0.1, crop=[140, 136, 24, 24]),
    case("deconv_k3_f2_grey_adam_mse", "deconv k3 s2 (uneven overlap), Adam, the tree's crown",
         "deconv", 2, 3, crop=[96, 24, 20, 24]),
    case("deconv_k2_f3_rgb_adam_l1", "deconv k2 s3: k < f leaves holes; RGB, L1, the lake's shore",
         "deconv", 3, 2, color="rgb", loss="l1", crop=[186, 30, 18, 15]),
    case("deconv_k6_f4_h4_grey_sgd_l1", "deconv k6 s4 after a 4-channel feature layer, SGD, L1, the ball",
         "deconv", 4, 6, hidden=4, optimizer="sgd", lr=0.05, loss="l1", crop=[196, 200, 20, 24]),
    case("deconv_k5_f3_h3_rgb_adam_mse", "deconv k5 s3 (p 1) after a feature layer, RGB, the roof",
         "deconv", 3, 5, hidden=3, color="rgb", crop=[120, 150, 18, 18]),
    case("resize_nearest_k3_f2_grey_sgd_mse", "nearest resize then conv k3, SGD, the sun's edge",
         "resize-conv", 2, 3, resize="nearest", optimizer="sgd", lr=0.02, crop=[22, 190, 16, 20]),
    case("resize_bilinear_k3_f2_h4_rgb_adam_mse", "bilinear resize then conv k3 after a feature layer, RGB, hills",
         "resize-conv", 2, 3, hidden=4, resize="bilinear", color="rgb", crop=[108, 96, 16, 16]),
    case("resize_bilinear_k5_f4_grey_adam_l1", "bilinear resize by 4 then conv k5, L1, the door and window",
         "resize-conv", 4, 5, resize="bilinear", loss="l1", crop=[152, 148, 24, 20]),
    case("resize_nearest_k3_f3_h2_grey_sgd_l1", "nearest resize by 3 after a feature layer, SGD, L1, the trunk",
         "resize-conv", 3, 3, hidden=2, resize="nearest", optimizer="sgd", lr=0.05, loss="l1",
         crop=[130, 30, 18, 18]),
    case("subpixel_k3_f2_grey_adam_mse", "sub-pixel conv k3 and pixel_shuffle(2), Adam, grass texture",
         "subpixel", 2, 3, crop=[220, 100, 16, 16]),
    case("subpixel_k3_f3_h3_rgb_sgd_mse", "sub-pixel k3 by 3 after a feature layer, RGB, SGD, the clouds",
         "subpixel", 3, 3, hidden=3, color="rgb", optimizer="sgd", lr=0.2, crop=[30, 60, 15, 18]),
    case("subpixel_k1_f4_grey_adam_l1", "sub-pixel k1 by 4 (one pixel per phase), L1, the window's corner",
         "subpixel", 4, 1, loss="l1", crop=[148, 140, 16, 16]),
    case("deconv_k4_f2_random_adam_mse", "deconv k4 s2 on a uniform random target (no image structure)",
         "deconv", 2, 4, crop=[0, 0, 16, 16], image=None),
    case("subpixel_k3_f2_h2_random_rgb_sgd_mse", "sub-pixel k3 after a feature layer on a uniform random RGB target",
         "subpixel", 2, 3, hidden=2, color="rgb", optimizer="sgd", lr=0.1, crop=[0, 0, 12, 12], image=None),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):  # no stale files from renamed cases
        if old.endswith((".npy", ".safetensors")):
            os.remove(os.path.join(OUT, old))
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names)
    entries = [run_case(spec, i) for i, spec in enumerate(CASES)]
    manifest = {
        "generator": "tests/golden/make_train_goldens.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "note": "losses[0] is measured before any update, losses[i] after i updates; image and crop ([y, x, h, w]) "
                "give the target (null image: a uniform random target, saved as target); input is its average "
                "pooling; init and final are the parameters before and after training",
        "cases": entries,
    }
    with open(MANIFEST, "w") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print("%d cases, %d bytes in %s" % (len(entries), total, os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()
