#!/bin/bash
# What the dom0 scripts of the real-Xen tier share (sourced by dom0-test.sh,
# the single-host steps, and dom0-pair.sh, the two-host run's): the step
# reporting, deadlines on xenia and xl, the guests' console logs, DomainSpec
# files, starting Xen's toolstack and xeniad. The caller sets
# `set -uo pipefail` and LC_ALL=C.
# shellcheck disable=SC2034 # variables the sourcing scripts read

T=/xen-tier # the data disk run.sh (or two-host.sh) made: the scripts, bin/, guest/
export PATH="$T/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export XENIA_SOCKET=/run/xenia/xeniad.sock
CONSOLE_DIR=/var/log/xen/console # xenconsoled: guest-NAME.log per guest
XENIAD_LOG=/var/log/xeniad.log
GUEST_KERNEL=/boot/vmlinuz-guest # Debian's kernel (build-image.sh)
GUEST_RAMDISK=$T/guest/initrd.cpio.gz
XENIAD_PID=""
XENIAD_ARGS=() # more arguments of xeniad, for every start

# ---------------------------------------------------------------- reporting
GATE_FAILED=()
PVH_FAILED=()
declare -A RESULT
DETAIL=""
# step gate|pvh|info NAME NEEDS FUNCTION [ARGS...]: runs FUNCTION and reports
# one line. FUNCTION returns 0 (PASS), 77 (SKIP) or anything else (FAIL), and
# may set DETAIL to what it saw. NEEDS ("-" for none, or "a,b") names steps
# that must have passed; if one did not, the step is reported SKIP, not run.
# A FAIL of a gate step fails the run; pvh steps are counted apart; info
# steps are only reported.
step() {
  local kind=$1 name=$2 needs=$3 t0=${EPOCHREALTIME/./} rc=0 result need
  shift 3
  DETAIL=""
  for need in ${needs//,/ }; do
    [ "$need" = - ] || [ "${RESULT[$need]:-}" = PASS ] || { DETAIL="needs $need"; rc=77; }
  done
  if [ $rc = 0 ]; then
    echo "=== STEP-BEGIN $name"
    "$@"
    rc=$?
  fi
  case $rc in
    0) result=PASS ;;
    77) result=SKIP ;;
    *) result=FAIL ;;
  esac
  RESULT[$name]=$result
  echo "=== STEP $name $result ($(elapsed "$t0")s) $DETAIL"
  if [ "$result" = FAIL ]; then
    case $kind in
      gate) GATE_FAILED+=("$name") ;;
      pvh) PVH_FAILED+=("$name") ;;
    esac
  fi
  return $rc
}
# elapsed T0: seconds since T0 (microseconds, from EPOCHREALTIME), one decimal
elapsed() {
  local us=$((${EPOCHREALTIME/./} - $1))
  echo "$((us / 1000000)).$(((us / 100000) % 10))"
}
# fail MESSAGE: sets DETAIL and returns 1; used as `check || { fail "..."; return; }`.
# A message about a command that exited adds what that command last said on
# stderr, so the summary shows the reason and not only the exit code.
fail() {
  DETAIL="$*"
  if [[ "$DETAIL" == *" exited "* ]] && [ -s "$LAST_STDERR" ]; then
    DETAIL="$DETAIL: $(tail -c 400 "$LAST_STDERR" | tr -d '\r' | tail -2 | paste -sd' ')"
  fi
  return 1
}
# A hung command must not hang the run: xenia and xl get a deadline, well
# inside run-qemu.sh's silence limit, and a command that hits it leaves a
# picture of dom0 on the console (what each process waits in).
# DEADLINE_SECS (90) may be raised for one call: DEADLINE_SECS=140 xenia_ ...
hung() {
  echo "--- '$*' hung for ${DEADLINE_SECS:-90}s; dom0's processes:"
  # shellcheck disable=SC2009 # every process but kernel threads, with wchan
  ps -eo pid,stat,wchan:32,etime,args | grep -v '\[' | head -40
  [ -n "$XENIAD_PID" ] && for t in /proc/"$XENIAD_PID"/task/*; do
    echo "xeniad thread ${t##*/}: $(cat "$t/comm" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
  done
  echo "--- xl list:"
  timeout 20 xl list
}
deadline() {
  timeout "${DEADLINE_SECS:-90}" "$@"
  local rc=$?
  [ $rc = 124 ] && hung "$@"
  return $rc
}
# xenia and xl: stderr still reaches the console, and is kept for fail().
LAST_STDERR=/tmp/last-stderr
with_stderr_kept() {
  local rc=0
  deadline "$@" 2>"$LAST_STDERR" || rc=$?
  cat "$LAST_STDERR" >&2
  return $rc
}
xenia_() { with_stderr_kept xenia "$@"; }
xl_() { with_stderr_kept xl "$@"; }

# ---------------------------------------------------------------- guests
# The guest prints DOMU-READY, then DOMU-HB n every second; its console log
# grows by a line a second while it runs. Offsets into the log tell what
# came after a moment (the log is appended to when a name is reused).
console_log() { echo "$CONSOLE_DIR/guest-$1.log"; }
log_size() { stat -c %s "$(console_log "$1")" 2>/dev/null || echo 0; }
since() { # since NAME OFFSET: the console output after OFFSET
  local f size
  f=$(console_log "$1")
  size=$(log_size "$1")
  if [ "$size" -lt "$2" ]; then cat "$f"; else tail -c +$(($2 + 1)) "$f"; fi 2>/dev/null
}
heartbeats_since() { since "$1" "$2" | grep -ac DOMU-HB; }
# wait_heartbeats NAME OFFSET SECS: at least 2 heartbeats after OFFSET
wait_heartbeats() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(heartbeats_since "$1" "$2")" -ge 2 ] && return 0
    sleep 0.5
  done
  echo "--- no heartbeats from $1 in $3s; its console log ends:"
  tail -15 "$(console_log "$1")" 2>/dev/null
  return 1
}
# spec NAME TYPE [YAML LINES...]: a DomainSpec file for a test guest
spec() {
  local f=/tmp/$1.yaml
  printf '%s\n' "name: $1" "type: $2" "memoryMib: 128" "vcpus: 1" \
    "kernel: $GUEST_KERNEL" "ramdisk: $GUEST_RAMDISK" "cmdline: console=hvc0 loglevel=4" \
    "${@:3}" >"$f"
  echo "$f"
}
xl_domid() { deadline xl domid "$1" 2>/dev/null; }
# xl's state letters: r b p s c d; running or blocked is RUNNING to xenia.
xl_state() { deadline xl list "$1" 2>/dev/null | awk 'NR == 2 {print $5}'; }
# info_json NAME JQ: one field of `xenia info NAME -o json`
info_json() { xenia_ -o json info "$1" | jq -r "$2"; }

# ---------------------------------------------------------------- xeniad
start_xeniad() {
  mkdir -p /var/lib/xenia /run/xenia
  xeniad --backend auto --log-level debug --state-dir /var/lib/xenia --socket "$XENIA_SOCKET" \
    "${XENIAD_ARGS[@]}" >>"$XENIAD_LOG" 2>&1 &
  XENIAD_PID=$!
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$XENIAD_PID" 2>/dev/null || { wait "$XENIAD_PID"; fail "xeniad exited rc=$?: $(tail -2 "$XENIAD_LOG")"; return; }
    local rc=0
    xenia host >/dev/null 2>/tmp/poll-stderr || rc=$?
    [ $rc = 0 ] && return 0
    # 5 is "xeniad cannot be reached yet"; anything else is worth seeing.
    [ $rc = 5 ] || echo "--- xenia host exited $rc while xeniad started: $(tail -c 300 /tmp/poll-stderr)"
    sleep 0.5
  done
  fail "xeniad (pid $XENIAD_PID) did not answer within 60s"
}

# ---------------------------------------------------------------- steps
step_dom0_toolstack() {
  local m
  for m in xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do modprobe "$m"; done
  mount -t xenfs xenfs /proc/xen || { fail "cannot mount xenfs"; return; }
  grep -q control_d /proc/xen/capabilities || { fail "/proc/xen/capabilities lacks control_d"; return; }
  XENSTORED_ROOTDIR=/run/xenstored /usr/lib/xen-4.17/bin/oxenstored --pid-file /run/xenstored.pid ||
    { fail "oxenstored did not start"; return; }
  local deadline=$((SECONDS + 60))
  until xenstore-read -s / >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { fail "xenstored does not answer"; return; }
    sleep 0.5
  done
  /usr/lib/xen-4.17/bin/xen-init-dom0 || { fail "xen-init-dom0 failed"; return; }
  # --log=guest: every guest's console goes to $CONSOLE_DIR/guest-NAME.log
  /usr/lib/xen-4.17/bin/xenconsoled --log=guest --log-dir="$CONSOLE_DIR" \
    --pid-file=/run/xenconsoled.pid || { fail "xenconsoled did not start"; return; }
  DETAIL="xen $(xl info | awk '/^xen_version/ {print $3}'), dom0 $(uname -r)"
}


step_xeniad_stop() {
  kill -TERM "$XENIAD_PID"
  local deadline=$((SECONDS + 30))
  while kill -0 "$XENIAD_PID" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { fail "xeniad still runs 30s after SIGTERM"; return; }
    sleep 0.5
  done
  wait "$XENIAD_PID"
  local rc=$?
  [ $rc = 0 ] || { fail "xeniad exited $rc on SIGTERM"; return; }
  DETAIL="exit 0"
}

# ---------------------------------------------------------------- dom0
# dom0_prepare HOSTNAME: what the init left to do: a writable root, /run and
# /tmp in memory, the directories Xen's daemons expect.
dom0_prepare() {
  mount -o remount,rw / 2>/dev/null
  mkdir -p /dev/pts /dev/shm
  mount -t devpts devpts /dev/pts
  mount -t tmpfs tmpfs /run
  mount -t tmpfs tmpfs /tmp
  mkdir -p /run/xen /run/xenstored /var/lib/xen "$CONSOLE_DIR"
  hostname "$1"
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# mirror_xeniad_log PREFIX: xeniad's log goes to the serial console too, as
# it is written, each line after PREFIX.
mirror_xeniad_log() {
  touch "$XENIAD_LOG"
  tail -n +1 -F "$XENIAD_LOG" 2>/dev/null | sed -u "s/^/$1 /" &
}
report_crashed_processes() {
  echo "=== dom0 processes that crashed (dmesg):"
  dmesg | grep -E 'segfault at|general protection|traps:' || echo "(none)"
}

# Canaries: memory that nothing of the tier writes after they are planted (64
# MiB of random bytes in tmpfs, and the page cache of the guest's kernel and
# ramdisk), checked at the end. A change there is the emulator corrupting
# dom0's memory, not a bug in what the tier runs.
CANARY=/run/canary
CANARY_SUMS=""
plant_canaries() {
  head -c 64M /dev/urandom >"$CANARY"
  CANARY_SUMS=$(sha256sum "$CANARY" "$GUEST_KERNEL" "$GUEST_RAMDISK")
}
check_canaries() {
  local now changed
  [ -n "$CANARY_SUMS" ] || { echo "=== CANARIES not planted"; return; }
  now=$(sha256sum "$CANARY" "$GUEST_KERNEL" "$GUEST_RAMDISK")
  changed=$(diff <(echo "$CANARY_SUMS") <(echo "$now") | sed -n 's/^> [0-9a-f]*  //p' | paste -sd' ')
  if [ -z "$changed" ]; then
    echo "=== CANARIES intact (64 MiB in tmpfs, the guest's kernel and ramdisk)"
  else
    echo "=== CANARIES CHANGED: $changed (dom0's memory was corrupted)"
  fi
}
