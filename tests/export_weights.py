#!/usr/bin/env python3
"""How a PyTorch user hands a model's upsampling weights to ConvT Lab.

    python3 tests/export_weights.py OUT_DIR

Builds a small DCGAN-style generator (ConvTranspose2d layers), then writes
  OUT_DIR/generator.safetensors   every parameter, named as in model.state_dict() ("main.0.weight", ...)
  OUT_DIR/<name>.npy              each parameter on its own
and prints the `convt` commands that run one layer. With a real model, replace build_model() by loading it.
The .safetensors writer is the format itself (JSON header + raw little-endian data), so only torch is needed.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch


def build_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=True),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=True),
        torch.nn.Tanh(),
    )


def save_safetensors(tensors: dict, path: Path) -> None:
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        data = tensor.detach().cpu().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "exported")
    out.mkdir(parents=True, exist_ok=True)
    model = build_model()
    state = {name: value for name, value in model.state_dict().items()}
    save_safetensors(state, out / "generator.safetensors")
    for name, value in state.items():
        np.save(out / f"{name}.npy", value.detach().cpu().numpy().astype(np.float32))
    print(f"convt tensors {out}/generator.safetensors")
    print(f"convt run --input random:1,16,8,8 --weight {out}/generator.safetensors:0.weight --stride 2 --padding 1 --out y.npy")
    print(f"convt run --input random:1,16,8,8 --weight {out}/0.weight.npy --bias {out}/0.bias.npy --stride 2 --padding 1 --out y.npy")


if __name__ == "__main__":
    main()
