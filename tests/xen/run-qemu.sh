#!/usr/bin/env bash
# Boots Xen and the dom0 image under qemu-system-x86_64 (TCG: this machine has
# no KVM), writes the serial console to LOG with each line stamped with the
# seconds since QEMU started, echoes the tier's STEP and RESULT lines to
# stdout as they come, and makes sure QEMU is gone when it returns: it stops
# QEMU by its pid on a time limit, when the serial console stays silent too
# long, when a powered-off dom0 does not make QEMU exit, and on every exit of
# this script (a trap); QEMU also gets SIGKILL if this script is killed
# (setpriv --pdeathsig).
#
# usage: run-qemu.sh [OPTIONS] IMAGE_DIR DATA_IMG LOG
# options (for two-host.sh; run.sh uses none):
#        --tag NAME       QEMU's -name is xen-tier-NAME, and each line echoed
#                         to stdout starts with "NAME: "
#        --smp N          vCPUs (default 2)
#        --t0 USECS       stamp the log from this moment (EPOCHREALTIME in
#                         microseconds; default: now), so two logs compare
#        --qemu-arg ARG   one more QEMU argument (repeat for more)
#        --dom0-arg WORD  one more word of dom0's kernel command line
#        --stall-ignore REGEX  lines matching REGEX (extended) do not count
#                         as output for XENIA_XEN_STALL (e.g. the log mirrors,
#                         which go on when dom0's test script is stuck)
# env:   XENIA_XEN_LIMIT  seconds QEMU may run (default 660)
#        XENIA_XEN_STALL  seconds of serial silence taken as a hang (default 150)
# exit:  0 if QEMU exited by itself (dom0 powered off), 1 if it had to be killed
set -euo pipefail
export LC_ALL=C

usage="usage: run-qemu.sh [--tag NAME] [--smp N] [--t0 USECS] [--qemu-arg ARG]... [--dom0-arg WORD]... [--stall-ignore REGEX] IMAGE_DIR DATA_IMG LOG"
tag="" smp=2 t0=${EPOCHREALTIME/./} stall_ignore=""
extra_qemu=() extra_dom0=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="${2:?$usage}"; shift 2 ;;
    --smp) smp="${2:?$usage}"; shift 2 ;;
    --t0) t0="${2:?$usage}"; shift 2 ;;
    --qemu-arg) extra_qemu+=("${2:?$usage}"); shift 2 ;;
    --dom0-arg) extra_dom0+=" ${2:?$usage}"; shift 2 ;;
    --stall-ignore) stall_ignore="${2:?$usage}"; shift 2 ;;
    --) shift; break ;;
    -*) echo "run-qemu.sh: unknown option '$1'; $usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
image="${1:?$usage}"
data="${2:?$usage}"
log="${3:?$usage}"
limit="${XENIA_XEN_LIMIT:-660}"
stall="${XENIA_XEN_STALL:-150}"

# Xen: serial console on COM1; smap=0 because dom0 dies at its first
# instruction with SMAP on under QEMU-TCG. dom0 gets 1 GiB of the machine's 2.
xen_args="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=1024M,max:1024M smap=0"
# dom0: Debian's initramfs mounts /dev/vda as root, then runs the image's init.
dom0_args="root=/dev/vda rw console=hvc0 earlyprintk=xen init=/sbin/xen-tier-init$extra_dom0"
# fsgsbase=off: with FSGSBASE, dom0's multi-threaded processes had their
# thread-local storage mixed up now and then (glibc's "mutex->__owner == 0"
# assertion, "malloc(): corrupted top size", shells segfaulting or spinning)
# in about one run in three; without it Linux sets FS/GS bases through Xen.
# shellcheck disable=SC2054 # the commas are QEMU's
qemu=(qemu-system-x86_64 -name "xen-tier${tag:+-$tag}" -accel tcg -machine pc
  -cpu max,fsgsbase=off -m 2G -smp "$smp"
  -display none -monitor none -serial stdio -no-reboot -nic none
  # snapshot=on: writes go to a throw-away overlay, the cached image stays pristine
  -drive "file=$image/dom0.img,format=raw,if=virtio,cache=unsafe,snapshot=on"
  -drive "file=$data,format=raw,if=virtio,readonly=on"
  -kernel "$image/xen" -append "$xen_args"
  -initrd "$image/vmlinuz $dom0_args,$image/initrd.img"
  "${extra_qemu[@]}")
stamp() {
  local d=$((${EPOCHREALTIME/./} - t0))
  printf '%d.%d' $((d / 1000000)) $(((d / 100000) % 10))
}
note() { printf '[%6s] [host] %s\n' "$(stamp)" "$*" >>"$log"; }

{ printf 'cmd:'; printf ' %q' "${qemu[@]}"; echo; } >"$log"
fifo=$(mktemp -u "${TMPDIR:-/tmp}/xen-tier-serial.XXXXXX")
mkfifo "$fifo"
setpriv --pdeathsig KILL "${qemu[@]}" >"$fifo" 2>&1 </dev/null &
qpid=$!
exec 3<"$fifo"
rm -f "$fifo"
note "qemu pid $qpid"

peak_rss_kb=0
killed=0
stop_qemu() {  # stop_qemu REASON: TERM, then KILL after 5 s
  kill -0 "$qpid" 2>/dev/null || return 0
  note "$1; stopping qemu $qpid"
  killed=1
  kill -TERM "$qpid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$qpid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$qpid" 2>/dev/null || true
}
trap 'stop_qemu "run-qemu.sh exiting"' EXIT
trap 'exit 130' INT TERM HUP

poweroff_at=""
last_output=$SECONDS
partial=""
while true; do
  if IFS= read -r -t 5 line <&3; then
    line="$partial$line"
    partial=""
    # hvc0 ends lines with "\r\r\n" at times: drop every trailing CR.
    while [[ $line == *$'\r' ]]; do line=${line%$'\r'}; done
    printf '[%6s] %s\n' "$(stamp)" "$line" >>"$log"
    [ -n "$stall_ignore" ] && [[ $line =~ $stall_ignore ]] || last_output=$SECONDS
    case "$line" in
      *"=== STEP "* | *XEN-TIER-RESULT* | *XEN-TIER-PVH* | *XEN-PAIR-* | *"=== DOM0-READY"*)
        printf '[%6s] %s%s\n' "$(stamp)" "${tag:+$tag: }" "${line#*=== }" ;;
      *"=== DOM0-POWEROFF"*) poweroff_at=$SECONDS ;;
    esac
  else
    rc=$?
    # A timed-out read keeps the partial line; EOF means QEMU closed stdout.
    if [ $rc -gt 128 ]; then
      partial+="$line"
    else
      [ -n "$partial$line" ] && printf '[%6s] %s\n' "$(stamp)" "$partial$line" >>"$log"
      break
    fi
  fi
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$qpid/status" 2>/dev/null || true)
  [ -n "$rss" ] && [ "$rss" -gt "$peak_rss_kb" ] && peak_rss_kb=$rss
  if [ -n "$poweroff_at" ] && [ $((SECONDS - poweroff_at)) -gt 40 ]; then
    stop_qemu "dom0 powered off 40s ago but qemu still runs"
  elif [ $((SECONDS - last_output)) -gt "$stall" ]; then
    stop_qemu "no serial output for ${stall}s${stall_ignore:+ but lines matching $stall_ignore} (hung?)"
  elif [ "$SECONDS" -gt "$limit" ]; then
    stop_qemu "time limit ${limit}s hit"
  fi
done
wait "$qpid" && rc=0 || rc=$?
trap - EXIT
note "qemu exited rc=$rc after $(stamp)s; peak RSS $((peak_rss_kb / 1024)) MiB"
echo "${tag:+$tag: }qemu: exited rc=$rc after $(stamp)s, peak RSS $((peak_rss_kb / 1024)) MiB"
[ "$killed" = 0 ]
