#!/usr/bin/env bash
# Regenerates the README's screenshots with the app's own --screenshot option under Xvfb.
# Usage: bash scripts/screenshots.sh   (after a build; needs xvfb-run)
set -euo pipefail
cd "$(dirname "$0")/.."
lab=build/app/lab/convt-lab
mkdir -p docs/screenshots
shot() {
  local name=$1
  shift
  xvfb-run -a -s "-screen 0 1600x1000x24" "$lab" --screenshot "docs/screenshots/$name.png" "$@"
  echo "wrote docs/screenshots/$name.png"
}
shot checkerboard --preset checkerboard
shot bilinear-rgb --preset bilinear --set input.image=assets/samples/gradient-rgb.png --set input.working_size=24 \
  --set out_channels=3 --set groups=3
shot holes --preset holes-k2s2d2 --set view.colormap=grey
shot stack-dcgan --preset stack-dcgan --set view.checkerboard=stack
shot stack-k3s2 --preset checkerboard --set stack.append=1 --set view.checkerboard=stack
shot train-lab --set train.enabled=true --set train.steps=60 --width 1600 --height 1000
shot model-panel --model tests/models/dcgan.onnx --set model.node=/ct2/ConvTranspose --width 1600 --height 1000
# The teaching screens: the introduction (a start without arguments), each lesson, and the views they use.
shot introduction
for lesson in 1 2 3 4 5 6; do shot "lesson-$lesson" --lesson "$lesson"; done
shot matrix --preset dcgan --set view.matrix=true --set view.matrix_row=3
shot replay-1d --preset checkerboard --set view.replay_1d=true --set view.enlarge=replay
