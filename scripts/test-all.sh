#!/usr/bin/env bash
# The second command of the README (and what CI runs): installs what is
# missing, builds the plain and the sanitizer (ASan+UBSan) flavours, and runs
# every unit and integration test in both; the release flavour's ctest also
# runs the real-Xen tier (tests/xen/: Xen under QEMU, several minutes; skip it
# with `ctest -LE xen`). Ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs="$(nproc)"

scripts/build.sh release
echo "== tests: release build"
ctest --test-dir build/release -j "$jobs" --output-on-failure --timeout 600

scripts/build.sh asan
echo "== tests: ASan+UBSan build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/asan -j "$jobs" --output-on-failure --timeout 900
