#!/usr/bin/env python3
"""Draws upsampling layers at random, in bench/layers.txt's format, to check the per-call goal (issue #16) on layers
no kernel was tuned on:

    python3 bench/random_layers.py SEED [COUNT] > /tmp/layers_random.txt
    LAYERS=/tmp/layers_random.txt bash bench/run_per_call.sh 2 15 2

The layers are of the kinds real models use: a kernel, stride and padding from GAN generators, U-Net decoders and
super-resolution heads (k4 s2 p1, k3 s2 p1 op1, k2 s2, k5 s2 p2 op1, k3 s1 p1, k4 s4, k8 s4 p2, k3 s3), now and then
dilated; channels as such models have them, halved, kept or quartered on the way out; now and then grouped or
depthwise; batch 1 to 16. Each layer's forward costs 5 MFLOP to 3 GFLOP, so that a round stays within minutes."""
import random
import sys

# (kernel, stride, padding, output_padding): the upsampling steps of common architectures.
STEPS = [(4, 2, 1, 0), (3, 2, 1, 1), (2, 2, 0, 0), (5, 2, 2, 1), (3, 1, 1, 0), (4, 4, 0, 0), (8, 4, 2, 0),
         (3, 3, 0, 0)]
CHANNELS = [3, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024]
MIN_FLOPS, MAX_FLOPS = 5e6, 3e9


def draw(rng, index):
    while True:
        k, s, p, op = rng.choice(STEPS)
        d = 1
        if rng.random() < 0.1 and s == 1:
            d = rng.choice([2, 3])
            p = d * (k - 1) // 2
        c_in = rng.choice(CHANNELS)
        c_out = max(1, c_in // rng.choice([1, 2, 2, 4]))
        groups = 1
        roll = rng.random()
        if roll < 0.08 and c_in >= 16:
            groups, c_out = c_in, c_in  # depthwise
        elif roll < 0.18 and c_in % 4 == 0 and c_out % 4 == 0 and c_in >= 16:
            groups = rng.choice([2, 4])
        n = rng.choice([1, 1, 2, 4, 8, 16])
        h = rng.choice([4, 5, 7, 8, 12, 16, 17, 24, 32, 33, 48, 64])
        w = h if rng.random() < 0.8 else rng.choice([8, 16, 24, 31, 40])
        flops = 2.0 * n * c_in * h * w * (c_out // groups) * k * k
        # Every step gives an output at least as large as its input (p <= d * (k - 1) / 2), so the size is valid.
        if MIN_FLOPS <= flops <= MAX_FLOPS:
            return f"r{index:02d} {n} {c_in} {h} {w} {c_out // groups} {k} {s} {p} {op} {op} {groups} {d}"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: random_layers.py SEED [COUNT]")
    rng = random.Random(int(sys.argv[1]))
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    print(f"# {count} layers drawn by bench/random_layers.py {sys.argv[1]}")
    print("# name  N C H W  Cout/groups K  stride padding op_h op_w groups dilation")
    for i in range(count):
        print(draw(rng, i))


if __name__ == "__main__":
    main()
