#!/usr/bin/env bash
# Runs xenia_bench on the release build and, if given libvirt's peer scripts,
# that peer's unix-socket configuration right after, in the same session, then
# prints the main figures side by side as ratios. See tests/bench/README.md.
#
#   tests/bench/run_bench.sh [LIBVIRT_PEER_DIR] [-- XENIA_BENCH_OPTIONS...]
#   LIBVIRT_PEER_DIR=... tests/bench/run_bench.sh
#
# Environment:
#   LIBVIRT_PEER_DIR  the directory holding libvirt_bench.py, start_libvirtd.sh
#                     and stop_libvirtd.sh (instead of the first argument)
#   PEERS_DIR         the peer's work directory (default ${TMPDIR:-/tmp}/libvirt-peer)
#   XENIA_BUILD_DIR   the build to use (default build/release, made with
#                     scripts/build.sh release if it does not exist)
#   BENCH_OUT         where the outputs are kept (default $XENIA_BUILD_DIR/bench-results)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

peer_dir=${LIBVIRT_PEER_DIR:-}
if [[ $# -gt 0 && $1 != -* ]]; then
  peer_dir=$1
  shift
fi
if [[ $# -gt 0 && $1 == -- ]]; then shift; fi
bench_args=("$@")

build=${XENIA_BUILD_DIR:-$root/build/release}
if [[ ! -f $build/build.ninja ]]; then
  echo "== building the release flavour (scripts/build.sh release)" >&2
  "$root/scripts/build.sh" release
  build=$root/build/release
else
  build=$(cd "$build" && pwd)
  # A no-op when they are up to date.
  cmake --build "$build" --target xenia_bench xeniad >&2
fi

if [[ -n $peer_dir ]]; then
  peer_dir=$(cd "$peer_dir" && pwd)
  for f in libvirt_bench.py start_libvirtd.sh stop_libvirtd.sh; do
    [[ -f $peer_dir/$f ]] || { echo "run_bench.sh: $peer_dir/$f not found" >&2; exit 2; }
  done
  if [[ ! -x /usr/sbin/libvirtd ]] || ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
    echo "run_bench.sh: the libvirt peer needs libvirtd and python3-libvirt:" >&2
    echo "  apt-get install -y --no-install-recommends libvirt-daemon libvirt-clients python3-libvirt" >&2
    exit 2
  fi
fi

out=${BENCH_OUT:-$build/bench-results}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # the peer runs from its own directory
stamp=$(date -u +%Y%m%dT%H%M%SZ)
xenia_out=$out/xenia-$stamp.txt
echo "== xenia_bench ${bench_args[*]:-} -> $xenia_out" >&2
"$build/bin/xenia_bench" "${bench_args[@]}" | tee "$xenia_out"

[[ -n $peer_dir ]] || exit 0

export PEERS_DIR=${PEERS_DIR:-${TMPDIR:-/tmp}/libvirt-peer}
peer_out=$out/libvirt-unix-$stamp.txt
echo "== libvirt peer (libvirtd, unix socket) -> $peer_out" >&2
peer_rc=0
cd "$peer_dir"
trap './stop_libvirtd.sh >/dev/null 2>&1 || true' EXIT
if ./start_libvirtd.sh; then
  /usr/bin/python3 libvirt_bench.py --uri "test+unix:///default?socket=$PEERS_DIR/run/libvirt-sock" \
    --daemon-pidfile "$PEERS_DIR/run/libvirtd.pid" | tee "$peer_out" || peer_rc=$?
  ./stop_libvirtd.sh || true
else
  peer_rc=1
fi
trap - EXIT
if [[ $peer_rc != 0 ]]; then
  echo "run_bench.sh: the libvirt peer failed (exit $peer_rc)" >&2
  exit "$peer_rc"
fi

# xenia metric, libvirt metric, which way is better.
echo
echo "# ratios xenia / libvirt (same session; rates: higher is better, the rest: lower is better)"
awk '
  FNR == 1 { file++ }
  /^[^#].*=/ { split($0, kv, "="); split(kv[2], vu, " "); val[file, kv[1]] = vu[1]; unit[kv[1]] = vu[2] }
  END {
    n = split("seq_lifecycle_rate seq_lifecycle_rate higher|" \
              "seq_define_rate seq_define_rate higher|" \
              "seq_start_rate seq_start_rate higher|" \
              "seq_destroy_rate seq_destroy_rate higher|" \
              "seq_delete_rate seq_undefine_rate higher|" \
              "conc8_lifecycle_rate conc8_lifecycle_rate higher|" \
              "seq_define_lat_median seq_define_lat_median lower|" \
              "seq_start_lat_median seq_start_lat_median lower|" \
              "seq_lifecycle_daemon_cpu_per_op seq_lifecycle_daemon_cpu_per_op lower|" \
              "conc8_lifecycle_daemon_cpu_per_op conc8_lifecycle_daemon_cpu_per_op lower|" \
              "get1k_lat_median info_lat_median lower|" \
              "list1k_lat_median list1k_lat_median lower|" \
              "list10k_lat_median list10k_lat_median lower|" \
              "list10k_daemon_cpu_per_op list10k_daemon_cpu_per_op lower|" \
              "daemon_vmrss_start daemon_vmrss_start lower|" \
              "daemon_vmhwm_after_list10k daemon_vmhwm_after_list10k lower|" \
              "daemon_vmrss_after_teardown daemon_vmrss_after_teardown lower", rows, "|")
    printf "%-36s %14s %14s %8s  %s\n", "xenia metric (vs libvirt metric)", "xenia", "libvirt", "ratio", "better"
    for (i = 1; i <= n; i++) {
      split(rows[i], r, " ")
      x = val[1, r[1]]; l = val[2, r[2]]
      if (x == "" || l == "" || l + 0 == 0) continue
      name = r[1] == r[2] ? r[1] : r[1] " (" r[2] ")"
      printf "%-36s %14s %14s %8.3f  %s (%s)\n", name, x, l, x / l, r[3], unit[r[1]]
    }
  }' "$xenia_out" "$peer_out" | tee "$out/ratios-$stamp.txt"
