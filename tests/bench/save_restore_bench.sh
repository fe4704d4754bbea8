#!/usr/bin/env bash
# Save and restore throughput against the disk's own: the real xeniad on the
# simulator saves a guest of SIZE MiB into its image directory and restores
# it (every page written, then checked, for real), and dd writes and reads a
# file of the same size on the same filesystem, with the same durability
# (fsync) and, for the reads, the page cache dropped first when that is
# allowed. Streamed save and restore (xenia save NAME - / xenia restore -)
# are measured too. Prints one line per figure and the ratios to dd.
#
#   tests/bench/save_restore_bench.sh [SIZE_MIB (1024)] [ROUNDS (3)]
#
# Uses build/release (or $XENIA_BUILD_DIR); work files go to a temporary
# directory under $TMPDIR, removed at the end. Figures are medians of ROUNDS.
set -euo pipefail
export LC_ALL=C

size=${1:-1024}
rounds=${2:-3}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${XENIA_BUILD_DIR:-$repo/build/release}"
bin="$build/bin"
for b in xeniad xenia; do
  [ -x "$bin/$b" ] || { echo "save_restore_bench: no $bin/$b (scripts/build.sh release)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/xenia-save-bench.XXXXXX")
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/xeniad" --backend sim --state-dir "$work/state" --socket "$work/sock" \
  --sim-memory 1T --sim-boot-time 0s --sim-shutdown-time 0s --sim-dirty-rate 0 \
  >"$work/xeniad.log" 2>&1 &
daemon=$!
export XENIA_SOCKET="$work/sock"
for _ in $(seq 100); do "$bin/xenia" host >/dev/null 2>&1 && break; sleep 0.1; done
printf 'name: bench\nmemoryMib: %s\nvcpus: 1\n' "$size" >"$work/bench.yaml"
"$bin/xenia" create "$work/bench.yaml" --start --wait >/dev/null

can_drop=no
if [ -w /proc/sys/vm/drop_caches ]; then can_drop=yes; fi
drop_caches() { [ "$can_drop" = no ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }; }
# seconds COMMAND...: wall time of COMMAND, in seconds with 3 decimals
# (its progress lines are not shown; if it fails, the bench stops, saying why)
seconds() {
  local t0=${EPOCHREALTIME/./}
  "$@" >/dev/null 2>"$work/stderr" || {
    echo "save_restore_bench: failed: $* ($(tail -2 "$work/stderr"))" >&2
    kill $$
  }
  local t1=${EPOCHREALTIME/./}
  echo "$(((t1 - t0) / 1000000)).$(printf '%03d' $((((t1 - t0) / 1000) % 1000)))"
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mibps() { awk -v mib="$1" -v s="$2" 'BEGIN {printf "%.0f", mib / s}'; }

images="$work/state/images"
declare -A t
for ((r = 1; r <= rounds; r++)); do
  rm -f "$images"/*.xsave "$work/dd.img" "$work/stream.img"
  t[save]+="$(seconds "$bin/xenia" save bench "round$r.xsave" --wait) "
  drop_caches
  t[restore]+="$(seconds "$bin/xenia" restore bench --wait) "
  t[dd_write]+="$(seconds dd if=/dev/zero of="$images/dd.img" bs=1M count="$size" conv=fsync status=none) "
  drop_caches
  t[dd_read]+="$(seconds dd if="$images/dd.img" of=/dev/null bs=1M status=none) "
  rm -f "$images/dd.img"
  t[stream_save]+="$(seconds sh -c "'$bin/xenia' save bench - > '$work/stream.img'") "
  t[stream_restore]+="$(seconds sh -c "'$bin/xenia' restore - --wait < '$work/stream.img'") "
  t[cat]+="$(seconds sh -c "cat '$work/stream.img' > /dev/null") "
done

echo "save/restore of a ${size} MiB simulated guest, median of $rounds (page cache dropped before reads: $can_drop)"
declare -A med
for k in save restore dd_write dd_read stream_save stream_restore cat; do
  med[$k]=$(tr ' ' '\n' <<<"${t[$k]}" | grep . | median)
  printf '  %-15s %7.3f s  %6s MiB/s\n' "$k" "${med[$k]}" "$(mibps "$size" "${med[$k]}")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
echo "ratios (throughput relative to dd; 1.00 = as fast as the disk):"
echo "  save / dd write (fsync)    $(ratio "${med[save]}" "${med[dd_write]}")"
echo "  restore / dd read          $(ratio "${med[restore]}" "${med[dd_read]}")"
echo "  stream save / dd write     $(ratio "${med[stream_save]}" "${med[dd_write]}")"
echo "  stream restore / dd read   $(ratio "${med[stream_restore]}" "${med[dd_read]}")"
