#!/usr/bin/env bash
# Installs every Debian package AIDI Bench needs to build, test and run the demo.
# Idempotent: when every package is already installed it touches no network.
#   scripts/install-deps.sh           build, test and demo packages
#   scripts/install-deps.sh --models  also what `make models` needs (torch, Fashion-MNIST)
set -euo pipefail

packages=(
  # host build
  cmake ninja-build g++ pkg-config make
  # host libraries
  qt6-base-dev qt6-svg-dev qt6-charts-dev qt6-serialport-dev libqt6sql6-sqlite qt6-qpa-plugins
  libserialport-dev libsqlite3-dev sqlite3 libzstd-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # firmware cross build and the virtual board
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  binutils-arm-none-eabi qemu-system-arm
  # instruments and tests
  openocd sigrok-cli xvfb clang libclang-rt-14-dev clang-16 libclang-rt-16-dev librsvg2-bin
  # the manual page and shell completions are checked by their tests
  groff-base man-db zsh
  # aidi serve's published message schemas, checked by the Python client's tests (pytest)
  python3-jsonschema python3-pytest
  # the lab: PostgreSQL (server for its tests, libpq for aidi) and ser2net for remote serial links
  postgresql libpq-dev ser2net
  # Fashion-MNIST is the data set of the fixtures' test subset
  dataset-fashion-mnist
)
if [[ "${1:-}" == "--models" ]]; then
  packages+=(python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
