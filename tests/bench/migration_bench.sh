#!/usr/bin/env bash
# Live migration over loopback between two real xeniad daemons on the
# simulator: a guest of SIZE MiB (default 1024) moves from A to B while it
# dirties its memory at 0, 10 MB/s and 100 MB/s (and once non-live). For each,
# prints the total time, rounds, bytes sent and the downtime (paused on A until
# running on B), and the total time as a ratio to memory / stream bandwidth,
# the stream bandwidth being what a non-live migration of the same guest
# moves per second (the channel with nothing else to do).
#
#   tests/bench/migration_bench.sh [SIZE_MIB (1024)] [ROUNDS (3)]
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
  [ -x "$bin/$b" ] || { echo "migration_bench: no $bin/$b (scripts/build.sh release)" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "migration_bench: needs python3 (to read JSON)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/xenia-migration-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

head -c 32 /dev/urandom | base64 >"$work/token"
chmod 600 "$work/token"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() {  # start NAME PORT
  "$bin/xeniad" --backend sim --state-dir "$work/$1" --socket "$work/$1.sock" --host-id "$1" \
    --listen "127.0.0.1:$2" --peer-token-file "$work/token" \
    --sim-memory 1T --sim-boot-time 0s --sim-shutdown-time 0s >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do XENIA_SOCKET="$work/$1.sock" "$bin/xenia" host >/dev/null 2>&1 && return; sleep 0.1; done
  echo "migration_bench: xeniad $1 did not start: $(tail -3 "$work/$1.log")" >&2
  exit 1
}
port_b=$(free_port)
start a "$(free_port)"
start b "$port_b"
on() { local host=$1; shift; XENIA_SOCKET="$work/$host.sock" "$bin/xenia" "$@"; }
printf 'name: bench\nmemoryMib: %s\nvcpus: 1\n' "$size" >"$work/bench.yaml"

# migrate RATE LIVE [DOWNTIME]: one migration A -> B of a fresh guest
# dirtying RATE bytes/s; prints "total_s rounds bytes downtime_s stop_reason".
migrate() {
  on a create "$work/bench.yaml" --start --wait >/dev/null
  on a sim behave bench --dirty-rate "$1" >/dev/null
  local flags=(--wait -o json)
  [ "$2" = live ] || flags+=(--no-live)
  [ -z "${3:-}" ] || flags+=(--downtime "$3")
  on a migrate bench "127.0.0.1:$port_b" "${flags[@]}" >"$work/op.json" 2>"$work/stderr" || {
    echo "migration_bench: migration failed: $(tail -2 "$work/stderr") $(cat "$work/op.json")" >&2
    exit 1
  }
  on b destroy bench --wait >/dev/null
  on b delete bench --wait >/dev/null
  python3 - "$work/op.json" <<'PY'
import json, sys
op = json.load(open(sys.argv[1]))
m = op["migration"]
def secs(d):
    return float(str(d).rstrip("s")) if d else 0.0
print(secs(m.get("totalTime")), m.get("rounds", 0), m.get("bytesSent", 0),
      secs(m.get("downtime")), m.get("stopReason", "").replace(" ", "_"))
PY
}
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Cases: non-live; live at 0, 10 and 100 MB/s with the default downtime
# target (300ms); live at 100 MB/s with a 10ms target (more rounds).
cases=(nonlive 0 10000000 100000000 100000000@10ms)
declare -A total rounds_ bytes down reason
for rate in "${cases[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    if [ "$rate" = nonlive ]; then read -r t n b d why < <(migrate 0 nonlive)
    else read -r t n b d why < <(migrate "${rate%@*}" live "$([[ $rate == *@* ]] && echo "${rate#*@}")"); fi
    total[$rate]+="$t "; rounds_[$rate]+="$n "; bytes[$rate]+="$b "; down[$rate]+="$d "
    reason[$rate]=$why
  done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
bw=$(awk -v b="$(med "${bytes[nonlive]}")" -v t="$(med "${total[nonlive]}")" 'BEGIN {print b / t}')
echo "migration over loopback of a ${size} MiB simulated guest, median of $rounds"
printf '  stream bandwidth (non-live): %.0f MiB/s; memory / bandwidth = %.3f s\n' \
  "$(awk -v b="$bw" 'BEGIN {print b / 1048576}')" "$(awk -v s="$size" -v b="$bw" 'BEGIN {print s * 1048576 / b}')"
printf '  %-18s %9s %7s %7s %11s %8s  %s\n' "dirty (target)" "total s" "ratio" "rounds" "sent MiB" "down ms" "stopped because"
for rate in "${cases[@]}"; do
  t=$(med "${total[$rate]}")
  label=$([ "$rate" = nonlive ] && echo "non-live" || awk -v r="${rate%@*}" -v d="$([[ $rate == *@* ]] && echo "${rate#*@}" || echo 300ms)" 'BEGIN {printf "%g MB/s (%s)", r / 1e6, d}')
  printf '  %-18s %9.3f %7.2f %7s %11.1f %8.1f  %s\n' "$label" "$t" \
    "$(awk -v t="$t" -v s="$size" -v b="$bw" 'BEGIN {print t / (s * 1048576 / b)}')" \
    "$(med "${rounds_[$rate]}")" "$(awk -v b="$(med "${bytes[$rate]}")" 'BEGIN {print b / 1048576}')" \
    "$(awk -v d="$(med "${down[$rate]}")" 'BEGIN {print d * 1000}')" "${reason[$rate]//_/ }"
done
