#!/usr/bin/env bash
# The real-Xen tier in one command: boots Xen 4.17 with a Debian 12 dom0
# under QEMU (TCG), starts the freshly built xeniad in dom0 on the libxl
# backend, and drives it with the xenia CLI (dom0-test.sh has the steps).
#
#   tests/xen/run.sh [--build-dir build/release]
#
# Exits 0 only if every gating step passed and the serial log shows no crash
# before the (non-gating) PVH steps; 77 (skipped) when not run as root.
# Logs go to BUILD_DIR/xen-tier/: serial.log (the whole serial console,
# timestamped), xeniad.log (xeniad's own log, taken from it), summary.txt.
# The dom0 image is cached (build-image.sh); see README.md.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build_dir=build/release
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift 2 ;;
    --build-dir=*) build_dir="${1#*=}"; shift ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build_dir="$(cd "$build_dir" && pwd)" || { echo "run.sh: no build directory $build_dir" >&2; exit 2; }
bin="$build_dir/bin"
out="$build_dir/xen-tier"
t_start=$SECONDS

say() { echo "xen-tier: $*"; }
if [ "$(id -u)" != 0 ]; then
  say "SKIP: needs root (debootstrap builds the dom0 image; CI runs as root)"
  exit 77
fi
for tool in qemu-system-x86_64 debootstrap mkfs.ext4 cpio setpriv flock strip; do
  command -v "$tool" >/dev/null || { say "missing $tool: run scripts/install-deps.sh"; exit 1; }
done
for b in xeniad xenia; do
  [ -x "$bin/$b" ] || { say "no $bin/$b: build first (scripts/build.sh release)"; exit 1; }
done

rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/xen-tier-data.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# 1. The dom0 image: from the cache, or built (a few minutes) when its inputs
#    changed. It carries the runtime libraries of these very binaries.
t0=$SECONDS
image=$("$here/build-image.sh" "$bin/xeniad" "$bin/xenia")
image_secs=$((SECONDS - t0))
image_how=cached
[ "$image/complete" -nt "$stage" ] && image_how=built

# 2. The data disk, made every run: this checkout's test script and guest,
#    and the binaries just built (without debug info: smaller, same code).
mkdir -p "$stage/bin" "$stage/guest"
for b in xeniad xenia; do strip --strip-debug -o "$stage/bin/$b" "$bin/$b"; done
install -m 755 "$here/dom0-test.sh" "$here/dom0-lib.sh" "$stage/"
cp "$here/guest/xlmade.cfg" "$stage/guest/"
"$here/build-guest.sh" "$stage/guest/initrd.cpio.gz"
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain 2>/dev/null)" ] || commit="$commit+changes"
echo "xen-tier: xeniad $("$bin/xeniad" --version | awk '{print $NF}') from $commit, built $(date -u -r "$bin/xeniad" +%FT%TZ)" \
  >"$stage/build-info"
mkfs.ext4 -q -F -L xentier -d "$stage" "$out/data.img" "$(($(du -sm "$stage" | cut -f1) + 32))M" >/dev/null
say "$(cut -d' ' -f2- "$stage/build-info"); $image_how image $image (${image_secs}s)"

# 3. Boot. run-qemu.sh stops QEMU by its pid on every path; it is told to
#    (SIGTERM) when this script is stopped, or killed (pdeathsig).
#    dom0 bounds every command it runs (90 s) and every wait (120 s), each
#    printing when it gives up, so a serial console silent for
#    XENIA_XEN_STALL seconds means the emulated machine itself froze. That,
#    or a process in dom0 crashing (QEMU-TCG corrupts dom0's user space now
#    and then), makes the boot untrustworthy either way: it is kept as
#    serial-boot-N.log, the summary says why, and the machine is booted again,
#    at most XENIA_XEN_BOOTS times in all (4). Only a boot without either
#    counts; a step that fails on such a boot is never retried.
boot() {
  say "booting Xen under QEMU (boot $1 of at most $max_boots); serial log $out/serial.log"
  qemu_ok=yes
  setpriv --pdeathsig TERM "$here/run-qemu.sh" "$image" "$out/data.img" "$out/serial.log" &
  runner=$!
  trap 'kill -TERM "$runner" 2>/dev/null; wait "$runner"; exit 143' TERM INT HUP
  wait "$runner" || qemu_ok=no
  trap - TERM INT HUP
}
# why_untrusted: why the boot just made cannot count, or nothing
why_untrusted() {
  if grep -aq '\[host\] no serial output for' "$out/serial.log" &&
    ! grep -aq 'XEN-TIER-RESULT' "$out/serial.log"; then
    echo "the machine froze at $(grep -a '=== STEP-BEGIN' "$out/serial.log" | tail -1 |
      sed 's/.*STEP-BEGIN //' | tr -d '\r')"
  elif ! "$here/scan-log.sh" "$out/serial.log" >/dev/null; then
    echo "a dom0 process crashed: $(grep -aEm1 \
      'segfault|Segmentation fault|Aborted|corrupted|Kernel panic|Triple fault|general protection|unable to XZ decompress' \
      "$out/serial.log" | tr -d '\r' | cut -c1-160)"
  fi
}
max_boots=${XENIA_XEN_BOOTS:-4}
t0=$SECONDS
retries=()
for ((n = 1; ; n++)); do
  boot "$n"
  why=$(why_untrusted)
  [ -n "$why" ] && [ "$n" -lt "$max_boots" ] || break
  mv "$out/serial.log" "$out/serial-boot-$n.log"
  retries+=("boot $n: $why (serial-boot-$n.log); booted again")
  say "${retries[-1]}"
done
boot_secs=$((SECONDS - t0))
rm -f "$out/data.img"

# 4. Verdict: the gating result line, and no crash before the PVH steps.
# (a CLI progress line on the console may precede a log line)
sed -n 's/^\[ *[0-9.]*\] .*\[xeniad\] //p' "$out/serial.log" >"$out/xeniad.log"
result=$(grep -ao 'XEN-TIER-RESULT: .*' "$out/serial.log" | tr -d '\r' | tail -1 || true)
pvh=$(grep -ao 'XEN-TIER-PVH: .*' "$out/serial.log" | tr -d '\r' | tail -1 || true)
scan_ok=yes
scan=$("$here/scan-log.sh" "$out/serial.log") || scan_ok=no
verdict=FAIL
[ "$result" = "XEN-TIER-RESULT: PASS" ] && [ "$scan_ok" = yes ] && verdict=PASS
{
  echo "steps ($(cut -d' ' -f2- "$stage/build-info")):"
  grep -ao '=== STEP [a-z_0-9]* [A-Z]*.*' "$out/serial.log" | tr -d '\r' | sed 's/^=== STEP /  /' || true
  echo "${result:-XEN-TIER-RESULT: missing (dom0 did not finish; see the serial log)}"
  echo "${pvh:-XEN-TIER-PVH: not run} (PVH does not gate)"
  echo "$scan"
  echo "qemu: $(grep -a '\[host\] qemu exited' "$out/serial.log" | sed 's/.*\[host\] qemu //')$(
    [ "$qemu_ok" = yes ] || echo ' (had to be stopped)')"
  for r in "${retries[@]}"; do echo "retry: $r"; done
  echo "time: ${image_secs}s image ($image_how), ${boot_secs}s boot and steps, $((SECONDS - t_start))s in all"
  echo "logs: $out/serial.log, $out/xeniad.log"
  echo "verdict: $verdict"
} >"$out/summary.txt"
sed 's/^/xen-tier: /' "$out/summary.txt"
[ "$verdict" = PASS ]
