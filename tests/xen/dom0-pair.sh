#!/bin/bash
# The two-host run's steps (two-host.sh), run in each emulated dom0 by the
# image's init, which the kernel command line tells to (xenia_test=dom0-pair.sh
# xenia_role=A|B). Host A (10.99.0.1) creates the guests and moves them with
# the xenia CLI to host B (10.99.0.2); B checks on its own that each arrived
# running and went on where it was (its heartbeat continues, no new boot).
#
# xeniad listens on TCP on loopback only (127.0.0.1:7443; it refuses other
# addresses until it has TLS), so socat exposes it on the private link as
# <own address>:7444. A tells B how each migration went through B's port 7445,
# so B never waits for a guest that is not coming.
#
# Lines on the serial console, read by two-host.sh:
#   === STEP <name> PASS|FAIL|SKIP (<secs>s) <detail>
#   === XEN-PAIR-RESULT-<role>: PASS|FAIL (...)   after the PV steps (gating)
#   === PVH-BEGIN, the PVH steps, === XEN-PAIR-PVH-<role>: ...   (not gating)
#   [guest@<role>] <name>: <line>    each guest's console, as it is written
#
# No `set -e`: a failed check must be reported as a FAIL and the run go on.
set -uo pipefail
export LC_ALL=C

# The helpers (step, xenia_, xl_, the console logs, spec, start_xeniad...).
# shellcheck source=dom0-lib.sh
source "${BASH_SOURCE[0]%/*}/dom0-lib.sh"

read -r cmdline </proc/cmdline
ROLE=""
for word in $cmdline; do
  case $word in xenia_role=*) ROLE=${word#xenia_role=} ;; esac
done
case $ROLE in
  A) ME=10.99.0.1 PEER=10.99.0.2 OTHER=B MAC=52:54:00:99:00:01 HOST_ID=host-a ;;
  B) ME=10.99.0.2 PEER=10.99.0.1 OTHER=A MAC=52:54:00:99:00:02 HOST_ID=host-b ;;
  *)
    echo "=== XEN-PAIR-RESULT-$ROLE: FAIL (no xenia_role=A or B on the kernel command line)"
    exit 1
    ;;
esac
XENIAD_PORT=7443 # xeniad's own TCP listener, on 127.0.0.1
FORWARD_PORT=7444 # socat: ME:7444 -> 127.0.0.1:7443
NOTE_PORT=7445 # on B: A's notes on each migration
NOWHERE=10.99.0.9 # on the link, but no host has it
XL_PORT=7446 # on B: xl's own PV move (xl save | socat | xl restore), for comparison
XL_MIGRATE_PORT=7447 # on B: xl's own live PVH move (xl migrate | socat | xl migrate-receive)
PEER_TOKEN=/run/xenia/peer-token
NOTES=/run/pair-notes
EXIT_NOT_FOUND=3 EXIT_CONFLICT=4 # xenia's exit codes (NOT_FOUND, FAILED_PRECONDITION)

# until_ok SECS WHAT COMMAND...: runs COMMAND every second until it succeeds,
# at most SECS seconds, saying every 30 s that it still waits (the host takes
# a console silent for long for a frozen machine).
until_ok() {
  local secs=$1 what=$2 t0=$SECONDS next=$((SECONDS + 30))
  shift 2
  until "$@"; do
    [ $((SECONDS - t0)) -lt "$secs" ] || { echo "--- gave up waiting for $what after ${secs}s"; return 1; }
    if [ $SECONDS -ge $next ]; then
      echo "--- still waiting for $what ($((SECONDS - t0))s)"
      next=$((SECONDS + 30))
    fi
    sleep 1
  done
}
# grpc_answers HOST PORT: an HTTP/2 server (xeniad's gRPC) answers there: its
# first frame after a client's connection preface is SETTINGS (type 4).
grpc_answers() {
  local frame
  # shellcheck disable=SC2016 # the inner shell expands $0 and $1
  frame=$(timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit
    printf "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0" >&3
    head -c 9 <&3' "$1" "$2" 2>/dev/null | od -An -tx1 | tr -d ' \n')
  [ "${frame:6:2}" = 04 ]
}
# Every guest's console onto the serial console, each line after
# "[guest@ROLE] NAME: ", so the host can time the heartbeats of both hosts.
mirror_guest_consoles() {
  local f name followed=" "
  while true; do
    for f in "$CONSOLE_DIR"/guest-*.log; do
      if [ ! -e "$f" ] || [[ $followed == *" $f "* ]]; then continue; fi
      followed+="$f "
      name=${f##*/guest-}
      tail -n +1 -F "$f" 2>/dev/null | sed -u "s/^/[guest@$ROLE] ${name%.log}: /" &
    done
    sleep 1
  done
}
# A domain's console logs on this host: xenconsoled names the log after the
# domain's name when it appears (an incoming domain may have another name
# until the migration is done).
console_files() {
  local f
  for f in "$CONSOLE_DIR/guest-$1.log" "$CONSOLE_DIR/guest-$1-"*.log; do
    [ -e "$f" ] && echo "$f"
  done
}
console_all() { console_files "$1" | xargs -r cat 2>/dev/null; }
# last_heartbeat NAME: the number of NAME's last DOMU-HB line here
last_heartbeat() { console_all "$1" | grep -ao 'DOMU-HB [0-9]*' | tail -1 | cut -d' ' -f2; }
two_heartbeats() { [ "$(console_all "$1" | grep -ac DOMU-HB)" -ge 2 ]; }

# ---------------------------------------------------------------- notes
# tell_b LINE: a note for host B, e.g. "pv1 sent lasthb=17", "pv1 not-sent:
# why", "done" (nothing more is coming).
tell_b() {
  echo "--- telling host B: $*"
  printf '%s\n' "$*" | timeout 15 socat -u - "TCP:$PEER:$NOTE_PORT,connect-timeout=5" ||
    echo "--- could not tell host B '$*'"
}
# heard NAME: host A said something of NAME, or that it is done
heard() { grep -qE "^($1 |done$)" "$NOTES" 2>/dev/null; }
note_of() { grep -E "^($1 |done$)" "$NOTES" | head -1; }

# ---------------------------------------------------------------- both hosts
NIC=""
find_nic() { # sets NIC to the interface with this host's MAC
  local f
  for f in /sys/class/net/*/address; do
    if [ "$(cat "$f")" = "$MAC" ]; then
      NIC=$(basename "$(dirname "$f")")
      return 0
    fi
  done
  return 1
}
step_network() {
  modprobe virtio_net || { fail "modprobe virtio_net failed"; return; }
  until_ok 30 "the interface with MAC $MAC" find_nic ||
    { fail "no interface with MAC $MAC: $(cd /sys/class/net && echo *)"; return; }
  local nic=$NIC
  ip link set lo up
  if ! ip link set "$nic" up || ! ip addr add "$ME/24" dev "$nic"; then
    fail "cannot bring $nic up with $ME/24"
    return
  fi
  ip -br addr show "$nic"
  if [ "$ROLE" = B ]; then
    # A's notes: each connection appends its line.
    socat -u "TCP-LISTEN:$NOTE_PORT,bind=$ME,reuseaddr,fork" "OPEN:$NOTES,creat,append" &
  fi
  DETAIL="$nic ($MAC) $ME/24"
}

step_xeniad_start() {
  # xeniad wants the token file readable by its owner only.
  if ! mkdir -p "${PEER_TOKEN%/*}" || ! install -m 600 "$T/peer-token" "$PEER_TOKEN"; then
    fail "cannot copy the peer token to $PEER_TOKEN"
    return
  fi
  XENIAD_ARGS=(--listen "127.0.0.1:$XENIAD_PORT" --peer-token-file "$PEER_TOKEN" --host-id "$HOST_ID")
  start_xeniad || return
  grep -q 'msg="xeniad ready".* backend=libxl' "$XENIAD_LOG" ||
    { fail "xeniad's log does not say backend=libxl: $(grep -m1 'xeniad ready' "$XENIAD_LOG")"; return; }
  grpc_answers 127.0.0.1 "$XENIAD_PORT" || { fail "xeniad does not answer on 127.0.0.1:$XENIAD_PORT"; return; }
  DETAIL="pid $XENIAD_PID, $(xeniad --version), host id $HOST_ID, gRPC on 127.0.0.1:$XENIAD_PORT"
}

# socat exposes xeniad's loopback listener on the private link.
step_forwarder() {
  socat "TCP-LISTEN:$FORWARD_PORT,bind=$ME,reuseaddr,fork" "TCP:127.0.0.1:$XENIAD_PORT" &
  local pid=$!
  until_ok 20 "the forwarder on $ME:$FORWARD_PORT" grpc_answers "$ME" "$FORWARD_PORT" ||
    { fail "xeniad does not answer through socat on $ME:$FORWARD_PORT"; return; }
  DETAIL="socat (pid $pid) $ME:$FORWARD_PORT -> 127.0.0.1:$XENIAD_PORT; xeniad answers through it"
}

step_peer_reachable() {
  local t0=$SECONDS
  until_ok 240 "host $OTHER's xeniad at $PEER:$FORWARD_PORT" grpc_answers "$PEER" "$FORWARD_PORT" ||
    { fail "host $OTHER's xeniad does not answer at $PEER:$FORWARD_PORT (neighbours: $(ip neigh show | paste -sd' '))"; return; }
  DETAIL="host $OTHER's xeniad answers at $PEER:$FORWARD_PORT (waited $((SECONDS - t0))s)"
}

# ---------------------------------------------------------------- host A
step_create() { # NAME TYPE [YAML LINES...]
  local n=$1 off t0=$SECONDS domid
  off=$(log_size "$n")
  xenia_ create "$(spec "$@")" --start --wait || { fail "xenia create --start --wait exited $?"; return; }
  wait_heartbeats "$n" "$off" 120 || { fail "no heartbeat from $n"; return; }
  domid=$(xl_domid "$n") || { fail "xl does not know $n"; return; }
  DETAIL="domid $domid, heartbeat $((SECONDS - t0))s after create"
}

# Debian's Xen has no shadow paging, which a live migration of a PV guest
# needs: xeniad must refuse it before anything starts (the destination, where
# nothing listens, is never reached), saying to use --no-live.
step_pv_refuse_live() {
  local domid rc t0 secs msg got off
  domid=$(xl_domid pv1) || { fail "pv1 is not running here"; return; }
  t0=${EPOCHREALTIME/./}
  xenia_ -o json migrate pv1 "$NOWHERE:$FORWARD_PORT" --live --wait >/tmp/refuse-pv1.json
  rc=$?
  secs=$(elapsed "$t0")
  cat /tmp/refuse-pv1.json
  msg=$({ jq -r '.error.message // empty' /tmp/refuse-pv1.json 2>/dev/null; cat "$LAST_STDERR"; } |
    tr -d '\r' | paste -sd' ' | cut -c1-300)
  [ $rc = $EXIT_CONFLICT ] ||
    { fail "xenia migrate --live exited $rc after ${secs}s, want $EXIT_CONFLICT (FAILED_PRECONDITION)"; return; }
  [[ $msg == *--no-live* ]] || { fail "the refusal does not mention --no-live: $msg"; return; }
  got=$(info_json pv1 '"\(.status.domid) \(.status.powerState)"')
  if [ "$got" != "$domid RUNNING" ] || [ "$(xl_domid pv1)" != "$domid" ]; then
    fail "pv1 after the refusal: xenia says '$got', xl domid $(xl_domid pv1), was $domid"
    return
  fi
  off=$(log_size pv1)
  wait_heartbeats pv1 "$off" 30 || { fail "pv1 stopped beating after the refusal"; return; }
  DETAIL="exit $rc in ${secs}s: '$msg'; pv1 still RUNNING as domid $domid, beating"
}

# step_migrate NAME --live|--no-live: NAME moves to host B and is gone from
# here; host B is told how it went. The figures come from the operation's
# result (xenia -o json).
step_migrate() {
  local n=$1 mode=$2 rc t0 secs lasthb figures why
  xl_domid "$n" >/dev/null || { tell_b "$n not-sent: not running on A"; fail "$n is not running here"; return; }
  t0=${EPOCHREALTIME/./}
  DEADLINE_SECS=140 xenia_ -o json migrate "$n" "$PEER:$FORWARD_PORT" "$mode" --wait >"/tmp/migrate-$n.json"
  rc=$?
  secs=$(elapsed "$t0")
  cat "/tmp/migrate-$n.json"
  lasthb=$(last_heartbeat "$n")
  if [ $rc != 0 ]; then
    tell_b "$n not-sent: xenia migrate exited $rc"
    why=$(jq -r '.error.message // empty' "/tmp/migrate-$n.json" 2>/dev/null)
    [ -n "$why" ] || why=$(tail -c 400 "$LAST_STDERR" | tr -d '\r' | paste -sd' ')
    DETAIL="xenia migrate $mode exited $rc after ${secs}s: $why"
    return 1
  fi
  tell_b "$n sent lasthb=${lasthb:--}"
  figures=$(jq -r 'def secs: if . == null then "-" else (rtrimstr("s") | tonumber * 10 | round / 10 | tostring) + "s" end;
    .migration // {} | "\(if .live then "live" else "non-live" end): total \(.totalTime | secs), downtime \(.downtime | secs), \((.bytesSent // "0" | tonumber) / 1048576 * 10 | round / 10) MiB sent in \(.rounds // 0) round(s), stop reason \(.stopReason // "-")"' \
    "/tmp/migrate-$n.json" 2>/dev/null)
  ! xl_domid "$n" >/dev/null || { fail "$n still exists here in xl: $(xl list "$n" | tail -1)"; return; }
  xenia_ info "$n" >/dev/null 2>&1
  rc=$?
  [ $rc = $EXIT_NOT_FOUND ] || { fail "xenia info $n here after the migration exited $rc, not $EXIT_NOT_FOUND (not found)"; return; }
  DETAIL="${secs}s ($figures); gone from here (xl; xenia info: not found); last heartbeat here DOMU-HB ${lasthb:--}"
}

# xl's own way to move a PV guest to another host (xl migrate is always
# live, which PV cannot be here): xl save into the link, xl restore on B. For
# comparison with xenia's non-live move; the summary times both by the guest's
# heartbeats.
step_xl_create() { # NAME [KEY=VALUE...]
  local n=$1 off t0=$SECONDS
  off=$(log_size "$n")
  xl_ create "$T/guest/xlmade.cfg" "name=\"$n\"" "${@:2}" || { fail "xl create $n exited $?"; return; }
  wait_heartbeats "$n" "$off" 120 || { fail "no heartbeat from $n"; return; }
  DETAIL="domid $(xl_domid "$n"), heartbeat $((SECONDS - t0))s after xl create"
}
step_xl_move() { # NAME
  local n=$1 t0 secs lasthb rc
  rm -f "/tmp/$n.fifo"
  mkfifo "/tmp/$n.fifo" || { fail "mkfifo failed"; return; }
  # B's listener takes one connection: no probe, socat retries the connect.
  timeout 300 socat -u "OPEN:/tmp/$n.fifo" "TCP:$PEER:$XL_PORT,retry=120,interval=1" &
  local sender=$!
  t0=${EPOCHREALTIME/./}
  DEADLINE_SECS=240 xl_ save "$n" "/tmp/$n.fifo"
  rc=$?
  secs=$(elapsed "$t0")
  lasthb=$(last_heartbeat "$n")
  wait "$sender"
  if [ $rc != 0 ]; then
    tell_b "$n not-sent: xl save exited $rc"
    fail "xl save $n into the link exited $rc after ${secs}s"
    return
  fi
  tell_b "$n sent lasthb=${lasthb:--}"
  DETAIL="xl save into the link took ${secs}s; last heartbeat here DOMU-HB ${lasthb:--}"
}

# xl's own live migration of a PVH guest, for comparison with xenia's: xl
# migrate with a transport that tees what xl sends into sha256sum and wc on
# the way out; B does the same on the way in, so the two ends can tell
# whether the bytes arrived as they left (xl's stream has no checksum of its
# own).
step_xl_migrate() { # NAME
  local n=$1 t0 secs lasthb rc sum size
  rm -f "/tmp/$n.out.sum" "/tmp/$n.out.size"
  cat >"/tmp/$n.send.sh" <<EOF
#!/bin/bash
tee >(sha256sum | cut -d' ' -f1 >/tmp/$n.out.sum) >(wc -c >/tmp/$n.out.size) |
  socat - TCP:$PEER:$XL_MIGRATE_PORT,retry=120,interval=1
EOF
  chmod +x "/tmp/$n.send.sh"
  t0=${EPOCHREALTIME/./}
  DEADLINE_SECS=240 xl_ migrate -s "" "$n" "/tmp/$n.send.sh"
  rc=$?
  secs=$(elapsed "$t0")
  lasthb=$(last_heartbeat "$n")
  until_ok 20 "the sums of what xl sent" test -s "/tmp/$n.out.size"
  sum=$(cat "/tmp/$n.out.sum" 2>/dev/null) size=$(cat "/tmp/$n.out.size" 2>/dev/null)
  if [ $rc != 0 ]; then
    tell_b "$n not-sent: xl migrate exited $rc"
    fail "xl migrate $n exited $rc after ${secs}s"
    return
  fi
  tell_b "$n sent lasthb=${lasthb:--} bytes=${size:--} sha256=${sum:--}"
  DETAIL="xl migrate took ${secs}s; sent ${size:-?} bytes, sha256 ${sum:0:16}; last heartbeat here DOMU-HB ${lasthb:--}"
}

# ---------------------------------------------------------------- host B
# await_sent NAME PID: waits for host A's note on NAME. Returns 0 if A sent
# it; otherwise stops PID (what would have received it) and returns 77
# (SKIP) with DETAIL saying what A said, or 1 (FAIL) if A said nothing.
await_sent() {
  local note
  until_ok 360 "host A's note on $1" heard "$1" || { fail "host A said nothing of $1 in 360s"; return; }
  note=$(note_of "$1")
  [[ $note == "$1 sent"* ]] && return 0
  kill "$2" 2>/dev/null
  DETAIL="host A says '$note'"
  return 77
}
# step_xl_receive NAME: xl restore of what A's xl save sends; NAME runs here.
step_xl_receive() {
  local n=$1
  rm -f "/tmp/$n.fifo"
  mkfifo "/tmp/$n.fifo" || { fail "mkfifo failed"; return; }
  timeout 300 socat -u "TCP-LISTEN:$XL_PORT,bind=$ME,reuseaddr" "OPEN:/tmp/$n.fifo" &
  DEADLINE_SECS=300 xl_ restore "/tmp/$n.fifo" &
  local restore=$!
  await_sent "$n" "$restore" || return
  wait "$restore" || { fail "xl restore of $n exited $?"; return; }
  DETAIL="xl restore done; domid $(xl_domid "$n")"
}

# step_xl_migrate_receive NAME: xl migrate-receive of what A's xl migrate
# sends; NAME runs here, and the bytes that came are the bytes A sent.
step_xl_migrate_receive() {
  local n=$1 note sent_sum sent_size sum size
  rm -f "/tmp/$n.in.sum" "/tmp/$n.in.size"
  cat >"/tmp/$n.receive.sh" <<EOF
#!/bin/bash
tee >(sha256sum | cut -d' ' -f1 >/tmp/$n.in.sum) >(wc -c >/tmp/$n.in.size) | exec xl migrate-receive
EOF
  chmod +x "/tmp/$n.receive.sh"
  timeout 300 socat "TCP-LISTEN:$XL_MIGRATE_PORT,bind=$ME,reuseaddr" "SYSTEM:/tmp/$n.receive.sh" &
  local receiver=$!
  await_sent "$n" "$receiver" || return
  note=$(note_of "$n")
  wait "$receiver" || echo "--- socat/xl migrate-receive exited $?"
  until_ok 20 "the sums of what came" test -s "/tmp/$n.in.size"
  sum=$(cat "/tmp/$n.in.sum" 2>/dev/null) size=$(cat "/tmp/$n.in.size" 2>/dev/null)
  sent_sum=$(sed -n 's/.*sha256=\([0-9a-f-]*\).*/\1/p' <<<"$note")
  sent_size=$(sed -n 's/.*bytes=\([0-9-]*\).*/\1/p' <<<"$note")
  xl_domid "$n" >/dev/null || { fail "xl does not know $n here ($size bytes came, $sent_size sent)"; return; }
  if [ "$sum" != "$sent_sum" ] || [ "$size" != "$sent_size" ]; then
    fail "$n runs here as domid $(xl_domid "$n"), but the stream changed on the way: A sent $sent_size bytes (sha256 ${sent_sum:0:16}), $size bytes came (sha256 ${sum:0:16}); xl did not notice"
    return
  fi
  DETAIL="domid $(xl_domid "$n"); the $size bytes that came are those A sent (sha256 ${sum:0:16})"
}

GOT=""
running_here() { # NAME: xenia info says RUNNING; GOT is "domid state"
  GOT=$(xenia -o json info "$1" 2>/dev/null | jq -r '"\(.status.domid) \(.status.powerState)"')
  [[ $GOT == *" RUNNING" ]]
}
# step_arrived NAME: host A says NAME was sent; it runs here, and xenia list,
# xenia info and xl agree on it. If A says it was not sent, nothing of it may
# be left here (SKIP), and a FAIL if something is.
step_arrived() {
  local n=$1 note listed domid leftover received
  until_ok 360 "host A's note on $n" heard "$n" || { fail "host A said nothing of $n in 360s"; return; }
  note=$(note_of "$n")
  echo "--- host A says: $note"
  if [[ $note != "$n sent"* ]]; then
    leftover=$(xl list 2>/dev/null | awk -v n="$n" 'NR > 1 && index($1, n) == 1')
    [ -z "$leftover" ] || { fail "host A says '$note', yet xl has here: $leftover"; return; }
    DETAIL="host A says '$note'; nothing of it here"
    return 77
  fi
  until_ok 60 "$n RUNNING in xenia info" running_here "$n" ||
    { fail "xenia info $n: '$GOT' (xl: $(xl list 2>&1 | tail -n +2 | paste -sd';'))"; return; }
  domid=$(xl_domid "$n") || { fail "xenia says '$GOT', xl does not know $n: $(xl list | tail -n +2 | paste -sd';')"; return; }
  [ "$GOT" = "$domid RUNNING" ] || { fail "xenia info: '$GOT', xl domid $domid"; return; }
  xenia_ list
  listed=$(xenia_ -o json list | jq -r --arg n "$n" '.domains[] | select(.spec.name == $n) |
    "\(.status.domid) \(.status.powerState)"')
  [ "$listed" = "$domid RUNNING" ] || { fail "xenia list: '$listed', xl domid $domid"; return; }
  # The receiving side's operation ended well too.
  received=$(xenia_ -o json ops list --domain "$n" | jq -r '[.operations[] | select(.method == "ReceiveMigration")] |
    sort_by(.createTime) | last | "\(.state // "none") \(.error.message // "")"') ||
    { fail "xenia ops list --domain $n exited $?"; return; }
  [ "$received" = "DONE " ] || { fail "RUNNING as domid $domid, but the receiving operation here ended $received"; return; }
  DETAIL="RUNNING as domid $domid (xenia list, xenia info and xl agree); ReceiveMigration DONE"
}

# step_same_guest NAME: the guest went on: heartbeats here, numbered on from
# where it was, and no DOMU-READY (which a new boot prints first).
step_same_guest() {
  local n=$1 first ready lasthb
  until_ok 60 "2 heartbeats of $n here" two_heartbeats "$n" ||
    { fail "no heartbeats of $n here; console logs: $(cd "$CONSOLE_DIR" && echo *); $n's end: $(console_all "$n" | tail -3 | paste -sd' ')"; return; }
  first=$(console_all "$n" | grep -ao 'DOMU-HB [0-9]*' | head -1 | cut -d' ' -f2)
  ready=$(console_all "$n" | grep -ac DOMU-READY)
  lasthb=$(note_of "$n" | sed -n 's/.*lasthb=\([0-9-]*\).*/\1/p')
  [ "$ready" = 0 ] || { fail "$n booted anew here: its console here shows DOMU-READY (first heartbeat $first)"; return; }
  [ "$first" -ge 1 ] || { fail "$n's heartbeats here start at $first: it started over"; return; }
  DETAIL="beats on: first heartbeat here DOMU-HB $first, A's last DOMU-HB ${lasthb:--}; no DOMU-READY"
}

# phase_result STEP...: PASS if every one passed, else what failed and what
# was skipped (a check that could not run is no pass).
phase_result() {
  local s failed=() skipped=()
  for s in "$@"; do
    case ${RESULT[$s]:-SKIP} in
      PASS) ;;
      FAIL) failed+=("$s") ;;
      *) skipped+=("$s") ;;
    esac
  done
  if [ ${#failed[@]} = 0 ] && [ ${#skipped[@]} = 0 ]; then
    echo PASS
  else
    echo "FAIL (${failed[*]:+failed: ${failed[*]}}${failed[*]:+${skipped[*]:+; }}${skipped[*]:+skipped: ${skipped[*]}})"
  fi
}

# ---------------------------------------------------------------- main
echo "=== DOM0-INIT-START role $ROLE, kernel $(uname -r), $(nproc) cpus, uptime $(uptime_s)s"
dom0_prepare "$HOST_ID"
cat "$T/build-info" 2>/dev/null

step gate dom0_toolstack - step_dom0_toolstack
plant_canaries
echo "=== DOM0-READY role $ROLE, uptime $(uptime_s)s"
mirror_xeniad_log "[xeniad@$ROLE]"
mirror_guest_consoles &

#    kind name            needs           function
step gate network         -               step_network
step gate xeniad_start    dom0_toolstack  step_xeniad_start
step gate forwarder       network,xeniad_start step_forwarder
step gate peer_reachable  network         step_peer_reachable

if [ "$ROLE" = A ]; then
  step gate pv_create          xeniad_start              step_create pv1 PV
  step gate pv_refuse_live     pv_create                 step_pv_refuse_live
  step gate pv_migrate_nonlive pv_create,peer_reachable  step_migrate pv1 --no-live
  [ "${RESULT[pv_migrate_nonlive]}" = SKIP ] && tell_b "pv1 not-sent: skipped ($DETAIL)"
  pv_steps=(pv_create pv_refuse_live pv_migrate_nonlive)
  step info xl_pv_create  peer_reachable  step_xl_create pvx
  step info xl_pv_move    xl_pv_create    step_xl_move pvx
  [ "${RESULT[xl_pv_move]}" = SKIP ] && tell_b "pvx not-sent: skipped ($DETAIL)"
else
  step gate pv_arrived    xeniad_start  step_arrived pv1
  step gate pv_same_guest pv_arrived    step_same_guest pv1
  pv_steps=(pv_arrived pv_same_guest)
  step info xl_pv_arrived    network        step_xl_receive pvx
  step info xl_pv_same_guest xl_pv_arrived  step_same_guest pvx
fi
report_crashed_processes
echo "=== XEN-PAIR-RESULT-$ROLE: $(phase_result dom0_toolstack network xeniad_start forwarder peer_reachable "${pv_steps[@]}")"

# Non-gating from here on (PVH under QEMU's nested SVM is flaky; README.md);
# two-host.sh scans the serial log after this marker apart.
echo "=== PVH-BEGIN"
if [ "$ROLE" = A ]; then
  step pvh pvh_create       xeniad_start               step_create pvh1 PVH "tscMode: native"
  step pvh pvh_migrate_live pvh_create,peer_reachable  step_migrate pvh1 --live
  [ "${RESULT[pvh_migrate_live]}" = SKIP ] && tell_b "pvh1 not-sent: skipped ($DETAIL)"
  step pvh pvh0_create         xeniad_start                step_create pvh0 PVH "tscMode: native"
  step pvh pvh_migrate_nonlive pvh0_create,peer_reachable  step_migrate pvh0 --no-live
  [ "${RESULT[pvh_migrate_nonlive]}" = SKIP ] && tell_b "pvh0 not-sent: skipped ($DETAIL)"
  step info xl_pvh_create  peer_reachable  step_xl_create pvhx 'type="pvh"' 'tsc_mode="native"'
  step info xl_pvh_migrate xl_pvh_create   step_xl_migrate pvhx
  [ "${RESULT[xl_pvh_migrate]}" = SKIP ] && tell_b "pvhx not-sent: skipped ($DETAIL)"
  [ "${RESULT[peer_reachable]}" = PASS ] && tell_b "done"
  pvh_steps=(pvh_create pvh_migrate_live pvh0_create pvh_migrate_nonlive)
else
  step pvh pvh_arrived    xeniad_start  step_arrived pvh1
  step pvh pvh_same_guest pvh_arrived   step_same_guest pvh1
  step pvh pvh0_arrived    xeniad_start  step_arrived pvh0
  step pvh pvh0_same_guest pvh0_arrived  step_same_guest pvh0
  step info xl_pvh_arrived    network         step_xl_migrate_receive pvhx
  step info xl_pvh_same_guest xl_pvh_arrived  step_same_guest pvhx
  pvh_steps=(pvh_arrived pvh_same_guest pvh0_arrived pvh0_same_guest)
fi
check_canaries
echo "=== XEN-PAIR-PVH-$ROLE: $(phase_result "${pvh_steps[@]}")"
[ -n "$XENIAD_PID" ] && kill -0 "$XENIAD_PID" 2>/dev/null && step info xeniad_stop - step_xeniad_stop
xl list
sleep 1 # let the log mirrors catch up
