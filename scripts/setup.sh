#!/usr/bin/env bash
# Sets up ConvT Lab on a Debian machine and runs it: installs the Debian packages that are missing (apt-get, with
# sudo when not root), configures and builds in ./build, then
#   bash scripts/setup.sh          runs the main program
#   bash scripts/setup.sh --test   runs every test (ctest)
# Nothing is downloaded except Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
  "") ;;
  --test) mode=test ;;
  *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
esac

# Build: compiler and the engine's libraries. App: Dear ImGui 1.86 with its GLFW/OpenGL3 backends, GLFW, libepoxy
# (GL loader), DejaVu Sans, Mesa (software GL when there is no GPU). ONNX models: libonnx-dev on libprotobuf-dev.
# Tests: GoogleTest, Xvfb for the GUI test, and (with --test) the ONNX project's backend test data.
packages=(cmake g++ make pkg-config libgtest-dev libcli11-dev nlohmann-json3-dev libstb-dev libjpeg-dev
          libonnx-dev libprotobuf-dev
          libimgui-dev libglfw3-dev libepoxy-dev fonts-dejavu-core libgl1-mesa-dri xvfb xauth)
if [[ $mode == test ]]; then packages+=(libonnx-testdata); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing missing Debian packages: ${missing[*]}"
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONVT_BUILD_TESTS=ON
cmake --build build -j"$jobs"

if [[ $mode == test ]]; then
  echo "setup: backends on this machine (tests of an unavailable backend are skipped and say why):"
  build/app/cli/convt backends | sed 's/^/  /'
  exec ctest --test-dir build --output-on-failure -j"$jobs"
fi
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "setup: no display found; to try the app headless: xvfb-run -a build/app/lab/convt-lab --screenshot shot.png" >&2
  echo "setup: running the headless demo instead" >&2
  exec build/app/cli/convt demo
fi
exec build/app/lab/convt-lab
