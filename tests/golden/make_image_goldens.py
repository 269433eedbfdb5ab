#!/usr/bin/env python3
"""JPEG decoding goldens: what PIL (libjpeg-turbo, default settings) decodes the JPEGs in tests/golden/images/ to.

Run from the repository root (needs Debian's python3-pil and python3-numpy):
    /usr/bin/python3 tests/golden/make_image_goldens.py

For each NAME.jpg it writes NAME.npy: float32 [1, C, H, W] with values byte / 255 (C = 1 for a greyscale JPEG,
3 otherwise), the tensor convt's read_image must give for the same file, so that a PyTorch user's own data loading
and convt train see the same pixels.
"""
import glob
import os

import numpy as np
from PIL import Image

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")

for path in sorted(glob.glob(os.path.join(HERE, "*.jpg"))):
    image = Image.open(path)
    image.load()
    pixels = np.asarray(image)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    tensor = (pixels.astype(np.float32) / np.float32(255)).transpose(2, 0, 1)[None]
    np.save(path[:-4] + ".npy", np.ascontiguousarray(tensor.astype("<f4")))
    print(os.path.basename(path), image.mode, tensor.shape)
