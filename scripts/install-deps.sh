#!/usr/bin/env bash
# Installs the Debian 12 packages Xenia builds and tests with, if any are
# missing. Safe to run any number of times; does nothing when all are there.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsqlite3-dev prometheus-cpp-dev libxen-dev
  libyaml-cpp-dev libcli11-dev
  libyajl-dev libxxhash-dev
  libgtest-dev libgmock-dev
  # the real-Xen tier (tests/xen/): QEMU, the dom0 image and the guest
  qemu-system-x86 debootstrap busybox-static e2fsprogs cpio gzip
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
