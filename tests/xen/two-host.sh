#!/usr/bin/env bash
# The two-host migration run: boots two emulated Xen hosts at once (host A
# and host B, the same dom0 image as the real-Xen tier) joined by a private
# network, starts the freshly built xeniad on each, and has the xenia CLI on
# A move guests to B, which checks on its own that they arrived and went on
# (dom0-pair.sh has the steps). Not part of ctest; does not gate CI.
#
#   tests/xen/two-host.sh [--build-dir build/release]
#
# Exits 0 only if both hosts passed their (PV) steps and neither serial log
# shows a crash before the (non-gating) PVH steps; 77 (skipped) when not run
# as root. Logs go to BUILD_DIR/xen-two-host/: serial-A.log and serial-B.log
# (stamped from one shared start, so their times compare), xeniad-A.log,
# xeniad-B.log, summary.txt. See README.md, "The two-host run".
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build_dir=build/release
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="${2:?--build-dir needs a directory}"; shift 2 ;;
    --build-dir=*) build_dir="${1#*=}"; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "two-host.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build_dir="$(cd "$build_dir" && pwd)" || { echo "two-host.sh: no build directory $build_dir" >&2; exit 2; }
bin="$build_dir/bin"
out="$build_dir/xen-two-host"
t_start=$SECONDS

say() { echo "xen-two-host: $*"; }
if [ "$(id -u)" != 0 ]; then
  say "SKIP: needs root (debootstrap builds the dom0 image)"
  exit 77
fi
for tool in qemu-system-x86_64 debootstrap mkfs.ext4 cpio setpriv flock strip base64; do
  command -v "$tool" >/dev/null || { say "missing $tool: run scripts/install-deps.sh"; exit 1; }
done
for b in xeniad xenia; do
  [ -x "$bin/$b" ] || { say "no $bin/$b: build first (scripts/build.sh release)"; exit 1; }
done

rm -rf "$out"
mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/xen-two-host-data.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# 1. The dom0 image, the real-Xen tier's (build-image.sh; cached).
t0=$SECONDS
image=$("$here/build-image.sh" "$bin/xeniad" "$bin/xenia")
image_secs=$((SECONDS - t0))
image_how=cached
[ "$image/complete" -nt "$stage" ] && image_how=built

# 2. One data disk for both hosts: the binaries, the guest, the pair's dom0
#    script, and the peer token the two xeniads share.
mkdir -p "$stage/bin" "$stage/guest"
for b in xeniad xenia; do strip --strip-debug -o "$stage/bin/$b" "$bin/$b"; done
install -m 755 "$here/dom0-pair.sh" "$here/dom0-lib.sh" "$stage/"
"$here/build-guest.sh" "$stage/guest/initrd.cpio.gz"
cp "$here/guest/xlmade.cfg" "$stage/guest/" # xl's own PV move, for comparison
(umask 077 && head -c 32 /dev/urandom | base64 >"$stage/peer-token")
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain 2>/dev/null)" ] || commit="$commit+changes"
echo "xen-two-host: xeniad $("$bin/xeniad" --version | awk '{print $NF}') from $commit, built $(date -u -r "$bin/xeniad" +%FT%TZ)" \
  >"$stage/build-info"
mkfs.ext4 -q -F -L xentier -d "$stage" "$out/data.img" "$(($(du -sm "$stage" | cut -f1) + 32))M" >/dev/null
say "$(cut -d' ' -f2- "$stage/build-info"); $image_how image $image (${image_secs}s)"

# 3. Boot the pair. Each host is one run-qemu.sh (limits, timestamps, QEMU
#    stopped on every path): -smp 1 each (two QEMUs share the 2 cores), A's
#    NIC listens on a loopback port and B's connects to it. When one host is
#    done, the other gets at most $grace seconds more.
grace=180
declare -A qemu_ok
# listening PORT: something listens on TCP PORT (IPv4)
listening() {
  awk -v port="$(printf ':%04X' "$1")" \
    '$4 == "0A" && substr($2, length($2) - 4) == port {found = 1} END {exit !found}' /proc/net/tcp
}
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((47000 + RANDOM % 1000))
    listening "$p" || { echo "$p"; return 0; }
  done
  return 1
}
# start_host ROLE MAC NETDEV T0: one emulated host, in the background. The log
# mirrors (guest consoles, xeniad) go on when dom0's script is stuck, so they
# do not count as signs of life.
start_host() {
  setpriv --pdeathsig TERM "$here/run-qemu.sh" --tag "$1" --smp 1 --t0 "$4" \
    --stall-ignore '^\[(guest|xeniad)@' \
    --qemu-arg -netdev --qemu-arg "$3" \
    --qemu-arg -device --qemu-arg "virtio-net-pci,netdev=n0,mac=$2" \
    --dom0-arg xenia_test=dom0-pair.sh --dom0-arg "xenia_role=$1" \
    "$image" "$out/data.img" "$out/serial-$1.log" &
}
# host_note ROLE MESSAGE: a [host] line in ROLE's serial log
host_note() {
  local d=$((${EPOCHREALTIME/./} - pair_t0))
  printf '[%6s] [host] %s\n' "$((d / 1000000)).$(((d / 100000) % 10))" "$2" >>"$out/serial-$1.log"
}
boot_pair() {
  local port a b deadline first other other_pid
  port=$(free_port) || { say "no free port in 47000-47999"; exit 1; }
  pair_t0=${EPOCHREALTIME/./}
  say "pair $1 of at most $max_pairs: host A listens on 127.0.0.1:$port, host B connects; logs $out/serial-{A,B}.log"
  start_host A 52:54:00:99:00:01 "socket,id=n0,listen=127.0.0.1:$port" "$pair_t0"
  a=$!
  trap 'kill -TERM "$a" ${b:+"$b"} 2>/dev/null; wait; exit 143' TERM INT HUP
  deadline=$((SECONDS + 30))
  until listening "$port" || ! kill -0 "$a" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
  listening "$port" || host_note A "QEMU did not listen on 127.0.0.1:$port within 30s"
  start_host B 52:54:00:99:00:02 "socket,id=n0,connect=127.0.0.1:$port" "$pair_t0"
  b=$!
  wait -n "$a" "$b" || true
  if kill -0 "$a" 2>/dev/null; then first=B other=A other_pid=$a; else first=A other=B other_pid=$b; fi
  deadline=$((SECONDS + grace))
  while kill -0 "$other_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
  if kill -0 "$other_pid" 2>/dev/null; then
    host_note "$other" "host $first ended ${grace}s ago; stopping host $other"
    kill -TERM "$other_pid" 2>/dev/null || true
  fi
  qemu_ok=([A]=yes [B]=yes)
  wait "$a" || qemu_ok[A]=no
  wait "$b" || qemu_ok[B]=no
  trap - TERM INT HUP
}
signatures='segfault|Segmentation fault|Aborted|corrupted|Kernel panic|Triple fault|general protection|unable to XZ decompress'
# why_untrusted: why the pair just booted cannot count, or nothing: a host
# froze before its result line, or a dom0 process crashed before the PVH steps
why_untrusted() {
  local r log joined where reasons=()
  for r in A B; do
    log="$out/serial-$r.log"
    if grep -aq '\[host\] no serial output for' "$log" && ! grep -aq "XEN-PAIR-RESULT-$r" "$log"; then
      where=$(grep -a '=== STEP-BEGIN' "$log" | tail -1 | sed 's/.*STEP-BEGIN //')
      reasons+=("host $r froze ${where:+at $where}")
      [ -n "$where" ] || reasons[-1]+="while booting"
    fi
    if ! "$here/scan-log.sh" "$log" >/dev/null; then
      reasons+=("a dom0 process crashed on host $r: $(awk '/=== PVH-BEGIN/ {exit} {print}' "$log" |
        grep -aEm1 "$signatures" | cut -c1-160)")
    fi
  done
  [ ${#reasons[@]} != 0 ] || return 0
  printf -v joined '%s; ' "${reasons[@]}"
  echo "${joined%; }"
}
max_pairs=2
t0=$SECONDS
retries=()
for ((n = 1; ; n++)); do
  boot_pair "$n"
  why=$(why_untrusted)
  if [ -z "$why" ] || [ "$n" -ge "$max_pairs" ]; then break; fi
  for r in A B; do mv "$out/serial-$r.log" "$out/serial-$r-pair-$n.log"; done
  retries+=("pair $n: $why (serial-{A,B}-pair-$n.log); booted the pair again")
  say "${retries[-1]}"
done
pair_secs=$((SECONDS - t0))
rm -f "$out/data.img"

# 4. Verdict: both hosts' result lines, and no crash before the PVH steps.
line_of() { grep -ao "$1.*" "$2" | tr -d '\r' | tail -1 || true; }
# at ROLE PATTERN [last]: the host time of ROLE's first (or last) line
# matching PATTERN, or "-"
at() {
  local t
  t=$(grep -aE "$2" "$out/serial-$1.log" | if [ "${3:-}" = last ]; then tail -1; else head -1; fi |
    sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
  echo "${t:--}"
}
# heartbeat_gap NAME: NAME's last heartbeat on A and its first on B, as the
# serial consoles showed them (host times), and the gap between them
heartbeat_gap() {
  local ta tb hba hbb
  ta=$(at A "\[guest@A\] $1(-[^:]*)?: DOMU-HB" last)
  tb=$(at B "\[guest@B\] $1(-[^:]*)?: DOMU-HB" first)
  [ "$ta" != - ] || { echo "$1: no heartbeat seen on A"; return; }
  [ "$tb" != - ] || { echo "$1: no heartbeat seen on B (last on A at ${ta}s)"; return; }
  hba=$(grep -aE "\[guest@A\] $1(-[^:]*)?: DOMU-HB" "$out/serial-A.log" | tail -1 | grep -ao 'HB [0-9]*')
  hbb=$(grep -aE "\[guest@B\] $1(-[^:]*)?: DOMU-HB" "$out/serial-B.log" | head -1 | grep -ao 'HB [0-9]*')
  echo "$1: last heartbeat on A ($hba) at ${ta}s, first on B ($hbb) at ${tb}s: $(awk -v a="$ta" -v b="$tb" 'BEGIN {printf "%.1f", b - a}')s apart"
}
for r in A B; do
  sed -n "s/^\[ *[0-9.]*\] .*\[xeniad@$r\] //p" "$out/serial-$r.log" >"$out/xeniad-$r.log"
done
result_A=$(line_of XEN-PAIR-RESULT-A "$out/serial-A.log")
result_B=$(line_of XEN-PAIR-RESULT-B "$out/serial-B.log")
scan_ok=yes
scan_A=$("$here/scan-log.sh" "$out/serial-A.log") || scan_ok=no
scan_B=$("$here/scan-log.sh" "$out/serial-B.log") || scan_ok=no
verdict=FAIL
[ "$result_A" = "XEN-PAIR-RESULT-A: PASS" ] && [ "$result_B" = "XEN-PAIR-RESULT-B: PASS" ] &&
  [ "$scan_ok" = yes ] && verdict=PASS
{
  echo "steps, by host time ($(cut -d' ' -f2- "$stage/build-info")):"
  for r in A B; do
    sed -n "s/^\[ *\([0-9.]*\)\] .*=== STEP \([a-z_0-9]* [A-Z]*\)/\1 $r \2/p" "$out/serial-$r.log"
  done | sort -s -n -k1,1 | awk '{printf "  [%6s] %s\n", $1, substr($0, length($1) + 2)}'
  echo "${result_A:-XEN-PAIR-RESULT-A: missing (host A did not finish; see serial-A.log)}"
  echo "${result_B:-XEN-PAIR-RESULT-B: missing (host B did not finish; see serial-B.log)}"
  for r in A B; do
    pvh=$(line_of "XEN-PAIR-PVH-$r" "$out/serial-$r.log")
    if [ -z "$pvh" ] && grep -aq '=== PVH-BEGIN' "$out/serial-$r.log"; then
      pvh="XEN-PAIR-PVH-$r: missing (host $r stopped during $(grep -a '=== STEP-BEGIN' "$out/serial-$r.log" |
        tail -1 | sed 's/.*STEP-BEGIN //'))"
    fi
    echo "${pvh:-XEN-PAIR-PVH-$r: not run} (PVH does not gate)"
  done
  echo "times (host seconds since the pair started):"
  for r in A B; do
    echo "  host $r: dom0 ready at $(at "$r" '=== DOM0-READY'), xeniad up at $(at "$r" '=== STEP xeniad_start PASS'), the other host's xeniad answered at $(at "$r" '=== STEP peer_reachable PASS')"
  done
  echo "  $(heartbeat_gap pv1)"
  echo "  $(heartbeat_gap pvx) (xl save | socat | xl restore, for comparison)"
  echo "  $(heartbeat_gap pvhx) (xl migrate, live, for comparison)"
  echo "  $(heartbeat_gap pvh0)"
  echo "  $(heartbeat_gap pvh1)"
  for r in A B; do
    echo "canaries $r: $(sed -n 's/.*=== CANARIES //p' "$out/serial-$r.log" | tail -1)"
  done
  echo "A: $scan_A"
  echo "B: $scan_B"
  for r in A B; do
    exited=$(grep -a '\[host\] qemu exited' "$out/serial-$r.log" | sed 's/.*\[host\] qemu //' || true)
    stopped=$(grep -a '\[host\]' "$out/serial-$r.log" | grep -av '\[host\] qemu \|run-qemu.sh exiting' |
      tail -1 | sed 's/.*\[host\] //' || true)
    if [ "${qemu_ok[$r]}" = yes ]; then
      echo "qemu $r: $exited"
    else
      echo "qemu $r: had to be stopped: ${stopped:-?}${exited:+; $exited}"
    fi
  done
  for r in "${retries[@]}"; do echo "retry: $r"; done
  echo "time: ${image_secs}s image ($image_how), ${pair_secs}s boots and steps, $((SECONDS - t_start))s in all"
  echo "logs: $out/serial-A.log, $out/serial-B.log, $out/xeniad-A.log, $out/xeniad-B.log"
  echo "verdict: $verdict"
} >"$out/summary.txt"
sed 's/^/xen-two-host: /' "$out/summary.txt"
[ "$verdict" = PASS ]
