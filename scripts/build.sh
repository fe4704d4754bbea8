#!/usr/bin/env bash
# Configures and builds one flavour of Xenia into build/<flavour>.
#   scripts/build.sh release   # optimised, with tests
#   scripts/build.sh asan      # AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

flavour="${1:-release}"
case "$flavour" in
  # The release flavour also registers the real-Xen tier (tests/xen/) with ctest.
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENIA_SANITIZE=OFF -DXENIA_XEN_TIER=ON) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DXENIA_SANITIZE=ON -DXENIA_BUILD_BENCH=OFF) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release or asan)" >&2; exit 2 ;;
esac

cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
cmake --build "build/$flavour" -j "$(nproc)"
