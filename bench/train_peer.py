#!/usr/bin/env python3
"""The training lab's peer: the same upsampling models trained full-batch in PyTorch, timed per step.

Usage: python3 bench/train_peer.py MODEL KERNEL HIDDEN SIZE FACTOR STEPS THREADS
Prints one JSON object: {"steps_per_second": ...}. The data is random (the speed does not depend on the values);
the model, the loss (MSE), the optimiser (Adam, lr 0.01) and the step (forward, loss, backward, update) are those of
`convt train` (README, "convt train").
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Upsampler(nn.Module):
    def __init__(self, kind, kernel, hidden, factor):
        super().__init__()
        self.kind, self.factor = kind, factor
        channels = hidden if hidden > 0 else 1
        self.features = nn.Conv2d(1, hidden, 3, padding=1) if hidden > 0 else None
        if kind == "deconv":
            p = max(0, math.ceil((kernel - factor) / 2))
            self.up = nn.ConvTranspose2d(channels, 1, kernel, stride=factor, padding=p,
                                         output_padding=factor + 2 * p - kernel)
        elif kind == "subpixel":
            self.up = nn.Conv2d(channels, factor * factor, kernel, padding=(kernel - 1) // 2)
        else:
            self.up = nn.Conv2d(channels, 1, kernel, padding=(kernel - 1) // 2)

    def forward(self, x):
        if self.features is not None:
            x = F.relu(self.features(x))
        if self.kind == "subpixel":
            return F.pixel_shuffle(self.up(x), self.factor)
        if self.kind == "resize-conv":
            x = F.interpolate(x, scale_factor=self.factor, mode="nearest")
        return self.up(x)


def main():
    kind, kernel, hidden, size, factor, steps, threads = sys.argv[1:8]
    kernel, hidden, size, factor, steps, threads = map(int, (kernel, hidden, size, factor, steps, threads))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    target = torch.rand(1, 1, size, size)
    x = F.avg_pool2d(target, factor)
    model = Upsampler(kind, kernel, hidden, factor)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def step():
        loss = F.mse_loss(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(10):  # warm-up: allocator, thread pool, oneDNN primitive caches
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({"steps_per_second": steps / seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
