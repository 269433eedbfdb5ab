#!/usr/bin/env bash
# Regenerates the sample images in assets/samples/ from the engine's own patterns (nothing is downloaded).
# Usage: bash scripts/make_assets.sh   (after a build)
set -euo pipefail
cd "$(dirname "$0")/.."
convt=build/app/cli/convt
mkdir -p assets/samples
"$convt" pattern --kind zoneplate --size 64 --out assets/samples/zoneplate.png
"$convt" pattern --kind gradient --size 48 --channels 3 --out assets/samples/gradient-rgb.png
"$convt" pattern --kind checkerboard --size 32 --out assets/samples/checkerboard.png
"$convt" pattern --kind impulse --size 16 --out assets/samples/impulse.png
# A photo-like RGB scene for super-resolution experiments (and the trainer's PyTorch goldens, tests/golden/train/).
"$convt" pattern --kind scene --size 256 --channels 3 --out assets/samples/scene.png
