#!/bin/bash
# The real-Xen tier's steps, run inside the emulated dom0 by the image's init
# (/sbin/xen-tier-init, which powers the machine off when this returns). It
# starts Xen's daemons, then xeniad on the libxl backend (chosen by
# `--backend auto`), and drives it with the real `xenia` CLI, checking what
# xenia says against xl and against the guests' own consoles.
#
# Every step prints one line on the serial console, which run.sh reads:
#   === STEP <name> PASS|FAIL|SKIP (<secs>s) <detail>
# then, after the gating steps, "XEN-TIER-RESULT: PASS|FAIL ...". The PVH
# steps come after that line (they must not gate: QEMU's nested SVM corrupts
# memory in about 3 PVH boots in 10), each attempt's steps prefixed pvh_, and
# end with "XEN-TIER-PVH: PASS|FAIL ...".
#
# No `set -e`: a failed check must be reported as a FAIL and the run go on.
set -uo pipefail
export LC_ALL=C

# The helpers (step, xenia_, xl_, the console logs, spec, start_xeniad...).
# shellcheck source=dom0-lib.sh
source "${BASH_SOURCE[0]%/*}/dom0-lib.sh"

# ---------------------------------------------------------------- steps
# A guest through xl alone: shows that Xen, dom0 and the test guest work
# (including its clean power-off on a shutdown request) whatever xeniad does.
step_xl_smoke() {
  local off
  off=$(log_size xlsmoke)
  xl_ create "$T/guest/xlmade.cfg" 'name="xlsmoke"' || { fail "xl create exited $?"; return; }
  wait_heartbeats xlsmoke "$off" 120 || { fail "no heartbeat"; xl_ destroy xlsmoke; return 1; }
  xl_ shutdown -w xlsmoke || { fail "xl shutdown -w exited $?"; xl_ destroy xlsmoke; return 1; }
  since xlsmoke "$off" | grep -q DOMU-POWEROFF || { fail "the guest did not power itself off"; return; }
  DETAIL="xl create, heartbeat, xl shutdown: the guest powered itself off"
}

step_xeniad_start() {
  start_xeniad || return
  grep -q 'msg="xeniad ready".* backend=libxl' "$XENIAD_LOG" ||
    { fail "xeniad's log does not say backend=libxl: $(grep -m1 'xeniad ready' "$XENIAD_LOG")"; return; }
  DETAIL="pid $XENIAD_PID, $(xeniad --version)"
}

step_host() {
  local json backend hv xl_version
  json=$(xenia_ -o json host) || { fail "xenia host exited $?"; return; }
  xenia_ host
  backend=$(jq -r '.backend // ""' <<<"$json")
  hv=$(jq -r '.hypervisorVersion // ""' <<<"$json")
  xl_version=$(xl info | awk '/^xen_version/ {print $3}')
  [ "$backend" = libxl ] || { fail "backend is '$backend', not libxl"; return; }
  [[ "$hv" == *"$xl_version"* ]] || { fail "hypervisor '$hv' does not show xl's version $xl_version"; return; }
  DETAIL="backend $backend, hypervisor '$hv'"
}

step_pv_create() {
  local off t0=$SECONDS domid
  off=$(log_size pv1)
  xenia_ create "$(spec pv1 PV)" --start --wait || { fail "xenia create --start --wait exited $?"; return; }
  wait_heartbeats pv1 "$off" 120 || { fail "no heartbeat from pv1"; return; }
  domid=$(xl_domid pv1) || { fail "xl does not know pv1"; return; }
  DETAIL="domid $domid, heartbeat $((SECONDS - t0))s after create"
}

# Every domain xl lists is in `xenia list` with the same domid and state,
# and `xenia info` agrees for the managed one.
step_list_agrees() {
  local json xl_out name domid state rest want got
  json=$(xenia_ -o json list) || { fail "xenia list exited $?"; return; }
  xenia_ list
  xl_out=$(xl list) || { fail "xl list exited $?"; return; }
  echo "$xl_out"
  while read -r name domid _ _ state rest; do
    want=RUNNING
    [[ $state == *p* ]] && want=PAUSED
    got=$(jq -r --arg n "$name" '.domains[] | select(.spec.name == $n) |
      "\(.status.domid // "-") \(.status.powerState)"' <<<"$json")
    [ "$got" = "$domid $want" ] || { fail "$name: xl says domid $domid state $state, xenia says '$got'"; return; }
  done < <(tail -n +2 <<<"$xl_out")
  got=$(info_json pv1 '"\(.status.domid) \(.status.powerState) \(.status.managed // false)"')
  [ "$got" = "$(xl_domid pv1) RUNNING true" ] ||
    { fail "xenia info pv1: '$got', xl domid $(xl_domid pv1)"; return; }
  DETAIL="$(($(wc -l <<<"$xl_out") - 1)) domains agree; pv1: $got"
}

step_pause_unpause() {
  local before after off t0
  xenia_ pause pv1 --wait || { fail "xenia pause exited $?"; return; }
  [[ $(xl_state pv1) == *p* ]] || { fail "xl state after pause: $(xl_state pv1)"; return; }
  [ "$(info_json pv1 .status.powerState)" = PAUSED ] || { fail "xenia info does not say PAUSED"; return; }
  sleep 1 # what the guest wrote before the pause reaches the log
  before=$(log_size pv1)
  sleep 4
  after=$(log_size pv1)
  [ "$after" = "$before" ] || { fail "console grew while paused: $(since pv1 "$before" | tr '\n' ' ')"; return; }
  off=$after
  t0=${EPOCHREALTIME/./}
  xenia_ unpause pv1 --wait || { fail "xenia unpause exited $?"; return; }
  wait_heartbeats pv1 "$off" 30 || { fail "no heartbeat after unpause"; return; }
  [ "$(info_json pv1 .status.powerState)" = RUNNING ] || { fail "xenia info does not say RUNNING"; return; }
  DETAIL="silent for 4s while paused; heartbeats again $(elapsed "$t0")s after unpause"
}

step_shutdown() {
  local off t0=$SECONDS
  off=$(log_size pv1)
  xenia_ shutdown pv1 --timeout 60s --wait || { fail "xenia shutdown exited $?"; return; }
  ! xl_domid pv1 >/dev/null || { fail "pv1 still exists in xl: $(xl list pv1 | tail -1)"; return; }
  since pv1 "$off" | grep -q DOMU-POWEROFF ||
    { fail "the guest did not power itself off (no DOMU-POWEROFF on its console)"; return; }
  [ "$(info_json pv1 .status.powerState)" = SHUTOFF ] || { fail "xenia info does not say SHUTOFF"; return; }
  DETAIL="guest powered off in $((SECONDS - t0))s; SHUTOFF"
}

step_start_again() {
  local off
  off=$(log_size pv1)
  xenia_ start pv1 --wait || { fail "xenia start exited $?"; return; }
  wait_heartbeats pv1 "$off" 120 || { fail "no heartbeat after start"; return; }
  DETAIL="domid $(xl_domid pv1)"
}

# The guest is asked to reboot; it does (its console says DOMU-REBOOT), and
# xeniad carries out on_reboot (restart): a new domain, beating again.
step_reboot() {
  local off domid_before domid_after
  off=$(log_size pv1)
  domid_before=$(xl_domid pv1)
  xenia_ reboot pv1 --timeout 60s --wait || { fail "xenia reboot exited $?"; return; }
  wait_heartbeats pv1 "$off" 120 || { fail "no heartbeat after the reboot"; return; }
  # The guest acted on the request itself: xeniad saw it shut down for a
  # reboot (its console's last line may not make it out before it dies).
  grep -q "msg=\"domain shut down\" domid=$domid_before .*reason=reboot" "$XENIAD_LOG" ||
    { fail "xeniad saw no reboot of domid $domid_before by the guest"; return; }
  domid_after=$(xl_domid pv1) || { fail "pv1 is gone from xl after the reboot"; return; }
  local got
  got=$(info_json pv1 '"\(.status.domid) \(.status.powerState)"')
  [ "$got" = "$domid_after RUNNING" ] || { fail "xenia info after reboot: '$got', xl domid $domid_after"; return; }
  DETAIL="guest rebooted itself; domid $domid_before -> $domid_after, RUNNING"
}

step_destroy() {
  xenia_ destroy pv1 --wait || { fail "xenia destroy exited $?"; return; }
  ! xl_domid pv1 >/dev/null || { fail "pv1 still exists in xl"; return; }
  [ "$(info_json pv1 .status.powerState)" = SHUTOFF ] || { fail "xenia info does not say SHUTOFF"; return; }
  DETAIL="gone from xl; SHUTOFF"
}

# A guest from an xl.cfg (the one xl creates in xl_smoke, renamed and given
# room to balloon and a second vCPU), its export, then mem-set and vcpu-set
# on it, checked against xl.
drop_xlcfg1() { xenia_ destroy xlcfg1 --wait && xenia_ delete xlcfg1 --wait; }
step_xlcfg_resources() {
  local rc
  xlcfg_resources_checks
  rc=$?
  # Whatever failed, no guest is left behind.
  xenia info xlcfg1 >/dev/null 2>&1 && drop_xlcfg1 >/dev/null 2>&1
  return $rc
}
xlcfg_resources_checks() {
  local cfg=/tmp/xlcfg1.cfg off mem online exported
  sed -e 's/^name = .*/name = "xlcfg1"/' -e '/^vcpus *=/d' -e '/^maxvcpus *=/d' \
    "$T/guest/xlmade.cfg" >"$cfg"
  printf '%s\n' 'maxmem = 192' 'vcpus = 2' 'maxvcpus = 2' >>"$cfg"
  off=$(log_size xlcfg1)
  xenia_ create "$cfg" --start --wait || { fail "xenia create $cfg exited $?"; return; }
  wait_heartbeats xlcfg1 "$off" 120 || { fail "no heartbeat from xlcfg1"; return; }
  exported=$(xenia_ config xlcfg1) || { fail "xenia config exited $?"; return; }
  grep -q '^kernel = "/boot/vmlinuz-guest"' <<<"$exported" ||
    { fail "the export lacks the kernel: $(tr '\n' ' ' <<<"$exported")"; return; }
  xenia_ mem-set xlcfg1 96M --wait || { fail "xenia mem-set 96M exited $?"; return; }
  mem=$(deadline xl list xlcfg1 | awk 'NR == 2 {print $3}')
  [ -n "$mem" ] && [ "$mem" -le 97 ] || { fail "xl list shows ${mem:-nothing} MiB after mem-set 96M"; return; }
  # Down from 2 to 1: the guest's kernel takes a vCPU offline by itself when
  # xenstore says so; bringing one online needs its userspace (udev), which
  # the tier's guest has not.
  xenia_ vcpu-set xlcfg1 1 --wait || { fail "xenia vcpu-set 1 exited $?"; return; }
  local waited=0
  while :; do
    online=$(deadline xl vcpu-list xlcfg1 | awk 'NR > 1 && $5 != "-" && $5 !~ /p/ {n++} END {print n+0}')
    [ "$online" = 1 ] && [ "$(info_json xlcfg1 .status.onlineVcpus)" = 1 ] && break
    [ $waited -ge 30 ] && { fail "after vcpu-set 1: xl vcpu-list shows $online online, xenia info $(info_json xlcfg1 .status.onlineVcpus)"; return; }
    sleep 1; waited=$((waited + 1))
  done
  drop_xlcfg1 || { fail "destroy/delete exited $?"; return; }
  DETAIL="created from xl.cfg; xl shows ${mem} MiB after mem-set 96M; 1 of 2 vCPUs online after vcpu-set 1 (${waited}s)"
}

# A disk hot-plugged into a running guest and out again: block-attach of a
# 16 MiB raw image, which xl block-list shows (devid 51728 is xvdb) and xenia
# block-list too, then block-detach, after which xl no longer lists it.
BLK_IMG=/tmp/blk1-data.img
# within SECONDS CMD...: runs CMD every half second until it succeeds; fails
# once SECONDS have passed. not CMD...: succeeds when CMD fails.
within() {
  local until=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $until ] || return 1
    sleep 0.5
  done
}
not() { ! "$@"; }
drop_blk1() { xenia_ destroy blk1 --wait && xenia_ delete blk1 --wait; }
step_block_hotplug() {
  if ! xenia block-attach --help >/dev/null 2>&1; then
    DETAIL="this xenia has no block-attach verb yet"
    return 77
  fi
  local rc
  block_hotplug_checks
  rc=$?
  # Whatever failed, no guest is left behind (its destroy also tears down a
  # disk a failed detach left), nor the image.
  xenia info blk1 >/dev/null 2>&1 && drop_blk1 >/dev/null 2>&1
  rm -f "$BLK_IMG"
  return $rc
}
# xl_lists_xvdb: whether `xl block-list blk1` has devid 51728 (xvdb); the
# listing is left in $XL_BLOCKS.
XL_BLOCKS=""
xl_lists_xvdb() {
  XL_BLOCKS=$(deadline xl block-list blk1 2>&1)
  awk 'NR > 1 && $1 == 51728 {found = 1} END {exit !found}' <<<"$XL_BLOCKS"
}
block_hotplug_checks() {
  local off table got
  # blkback and loop (for the block hotplug script's losetup) are modules
  # in Debian's kernel, and no udev runs in this dom0 to load them when the
  # first vbd backend appears.
  modprobe xen-blkback 2>/dev/null
  modprobe loop 2>/dev/null
  rm -f "$BLK_IMG"
  truncate -s 16M "$BLK_IMG" || { fail "truncate -s 16M $BLK_IMG exited $?"; return; }
  off=$(log_size blk1)
  xenia_ create "$(spec blk1 PV)" --start --wait || { fail "xenia create blk1 exited $?"; return; }
  wait_heartbeats blk1 "$off" 120 || { fail "no heartbeat from blk1"; return; }
  xenia_ block-attach blk1 "format=raw,vdev=xvdb,access=rw,target=$BLK_IMG" ||
    { fail "xenia block-attach exited $?"; return; }
  # (Polled, in case the verb returns before its operation is done.)
  within 30 xl_lists_xvdb ||
    { fail "xl block-list blk1 does not show devid 51728 (xvdb): $(tr '\n' ' ' <<<"$XL_BLOCKS")"; return; }
  echo "$XL_BLOCKS"
  table=$(xenia_ block-list blk1) || { fail "xenia block-list exited $?"; return; }
  echo "$table"
  head -1 <<<"$table" | grep -Eq '^VDEV +DEVID +STATE +BACKEND +FRONTEND +TARGET' ||
    { fail "xenia block-list's header is '$(head -1 <<<"$table")'"; return; }
  awk -v img="$BLK_IMG" '$1 == "xvdb" && $2 == 51728 && $NF == img {found = 1} END {exit !found}' \
    <<<"$table" || { fail "xenia block-list shows no xvdb 51728 $BLK_IMG: $(tr '\n' ' ' <<<"$table")"; return; }
  got=$(xenia_ -o json block-list blk1 |
    jq -r '.devices[] | select(.kind == "DISK" and .id == "xvdb") | "\(.devid) \(.state)"')
  [[ "$got" == "51728 "* ]] || { fail "xenia block-list -o json: xvdb is '$got'"; return; }
  # The test guest has no PV block frontend (xen-blkfront is a module in
  # Debian's kernel and the guest's initramfs loads none), so the disk never
  # connects (ATTACHING) and nothing in the guest would release it: a detach
  # without --force would wait libxl's 10s, fail, and leave it closing.
  # Hence --force.
  xenia_ block-detach blk1 xvdb --force || { fail "xenia block-detach --force exited $?"; return; }
  within 30 not xl_lists_xvdb ||
    { fail "xl block-list blk1 still shows devid 51728 after block-detach: $(tr '\n' ' ' <<<"$XL_BLOCKS")"; return; }
  xenia_ -o json block-list blk1 | jq -e '.devices // [] | all(.id != "xvdb")' >/dev/null ||
    { fail "xenia block-list still shows xvdb after block-detach"; return; }
  drop_blk1 || { fail "destroy/delete of blk1 exited $?"; return; }
  DETAIL="xvdb (devid 51728) attached, xenia said ${got#* }; gone from xl block-list after block-detach --force"
}

# A network interface hot-plugged into a running guest and out again, on a
# bridge made for the step: network-attach with a given MAC, which xl
# network-list shows and xenia network-list too, then network-detach --force
# (the test guest loads no netfront to release it), after which xl no longer
# lists it.
NIC_MAC=00:16:3e:5e:00:01
drop_nic1() { xenia_ destroy nic1 --wait && xenia_ delete nic1 --wait; }
step_nic_hotplug() {
  if ! xenia network-attach --help >/dev/null 2>&1; then
    DETAIL="this xenia has no network-attach verb yet"
    return 77
  fi
  command -v ip >/dev/null || { DETAIL="this dom0 has no ip command to make a bridge"; return 77; }
  local rc
  nic_hotplug_checks
  rc=$?
  xenia info nic1 >/dev/null 2>&1 && drop_nic1 >/dev/null 2>&1
  ip link del xenbrt 2>/dev/null
  return $rc
}
XL_NICS=""
xl_lists_nic() {
  XL_NICS=$(deadline xl network-list nic1 2>&1)
  awk -v mac="$NIC_MAC" 'NR > 1 && tolower($3) == mac {found = 1} END {exit !found}' <<<"$XL_NICS"
}
nic_hotplug_checks() {
  local off got
  modprobe xen-netback 2>/dev/null
  ip link add name xenbrt type bridge && ip link set xenbrt up ||
    { fail "cannot make the bridge xenbrt"; return; }
  off=$(log_size nic1)
  xenia_ create "$(spec nic1 PV)" --start --wait || { fail "xenia create nic1 exited $?"; return; }
  wait_heartbeats nic1 "$off" 120 || { fail "no heartbeat from nic1"; return; }
  xenia_ network-attach nic1 "bridge=xenbrt,mac=$NIC_MAC" --wait ||
    { fail "xenia network-attach exited $?"; return; }
  within 30 xl_lists_nic ||
    { fail "xl network-list nic1 does not show $NIC_MAC: $(tr '\n' ' ' <<<"$XL_NICS")"; return; }
  echo "$XL_NICS"
  got=$(xenia_ -o json network-list nic1 |
    jq -r --arg mac "$NIC_MAC" '.devices[] | select(.id == $mac) | "\(.devid // 0) \(.state) \(.networkInterface.bridge)"')
  [[ "$got" == *" xenbrt" ]] || { fail "xenia network-list: $NIC_MAC is '$got'"; return; }
  xenia_ network-detach nic1 "$NIC_MAC" --force --wait ||
    { fail "xenia network-detach --force exited $?"; return; }
  within 30 not xl_lists_nic ||
    { fail "xl network-list nic1 still shows $NIC_MAC after network-detach"; return; }
  drop_nic1 || { fail "destroy/delete of nic1 exited $?"; return; }
  DETAIL="$NIC_MAC on xenbrt attached (devid ${got%% *}, ${got#* }); gone from xl network-list after network-detach --force"
}

step_delete() {
  xenia_ delete pv1 --wait || { fail "xenia delete exited $?"; return; }
  xenia_ info pv1 >/dev/null 2>&1
  local rc=$?
  [ $rc = 3 ] || { fail "xenia info pv1 after delete exited $rc, not 3 (not found)"; return; }
  DETAIL="xenia info: not found"
}

# kill -9 xeniad with two guests running; the restarted daemon finds them.
step_restart_readopts() {
  local n off1 off2 before after got
  off1=$(log_size k1)
  off2=$(log_size k2)
  for n in k1 k2; do
    xenia_ create "$(spec "$n" PV)" --start --wait || { fail "xenia create $n exited $?"; return; }
  done
  wait_heartbeats k1 "$off1" 120 && wait_heartbeats k2 "$off2" 60 || { fail "no heartbeats"; return; }
  before="k1=$(xl_domid k1) k2=$(xl_domid k2)"
  kill -9 "$XENIAD_PID"
  wait "$XENIAD_PID" 2>/dev/null
  off1=$(log_size k1)
  off2=$(log_size k2)
  start_xeniad || return
  wait_heartbeats k1 "$off1" 30 && wait_heartbeats k2 "$off2" 30 ||
    { fail "guests stopped beating across the restart"; return; }
  xenia_ list
  for n in k1 k2; do
    got=$(xenia_ -o json list | jq -r --arg n "$n" '.domains[] | select(.spec.name == $n) |
      "\(.status.domid) \(.status.powerState) \(.status.managed // false)"')
    [ "$got" = "$(xl_domid $n) RUNNING true" ] || { fail "$n after restart: '$got' ($before)"; return; }
  done
  after="k1=$(xl_domid k1) k2=$(xl_domid k2)"
  [ "$after" = "$before" ] || { fail "domids changed: $before -> $after"; return; }
  # The watches are armed again: k1 powers off on its own (asked through xl,
  # not xeniad), the restarted daemon hears of it from libxl and carries out
  # on_poweroff (destroy); no xl monitor process exists to do it instead.
  local k1 log_from deadline
  k1=$(xl_domid k1)
  log_from=$(stat -c %s "$XENIAD_LOG")
  xl_ shutdown k1 || { fail "xl shutdown k1 exited $?"; return; }
  deadline=$((SECONDS + 60))
  until [ "$(info_json k1 .status.powerState)" = SHUTOFF ] && ! xl_domid k1 >/dev/null; do
    [ $SECONDS -lt $deadline ] || { fail "k1 not SHUTOFF and destroyed 60s after it powered off: xenia says $(info_json k1 .status.powerState), xl $(xl_state k1)"; return; }
    sleep 0.5
  done
  tail -c +$((log_from + 1)) "$XENIAD_LOG" | grep -q "msg=\"domain shut down\" domid=$k1 " ||
    { fail "the restarted xeniad got no shutdown event for k1 (domid $k1)"; return; }
  xenia_ delete k1 --wait || { fail "delete of k1 failed"; return; }
  for n in k2; do
    xenia_ destroy "$n" --wait && xenia_ delete "$n" --wait || { fail "cleanup of $n failed"; return; }
  done
  DETAIL="same domids ($after), running, managed; k1's own power-off seen by the new watch"
}

# xeniad is killed while libxl builds a guest. The restarted daemon settles
# the create: done with the guest running (the build had finished), or
# failed saying the build was interrupted, with the half-built guest
# destroyed; what it says of the domain agrees with xl.
step_kill_mid_create() {
  local op log_from deadline state domid xl_id rc
  log_from=$(stat -c %s "$XENIAD_LOG")
  op=$(xenia_ -o json create "$(spec mid PV)" --start | jq -r .name) && [ -n "$op" ] ||
    { fail "xenia create mid exited $?"; return; }
  # Wait until libxl is at work on it (its create log lines), then kill.
  deadline=$((SECONDS + 60))
  until tail -c +$((log_from + 1)) "$XENIAD_LOG" | grep -q 'libxl_create.c\|libxl_dom.c'; do
    [ $SECONDS -lt $deadline ] || { fail "libxl never started building mid"; return; }
    sleep 0.2
  done
  kill -9 "$XENIAD_PID"
  wait "$XENIAD_PID" 2>/dev/null
  echo "--- killed xeniad while building; xl says: $(deadline xl list mid 2>&1 | tail -1)"
  start_xeniad || return
  xenia_ ops wait "$op" --timeout 60s
  rc=$?
  local opjson
  opjson=$(xenia_ -o json ops get "$op") || { fail "xenia ops get $op exited $?"; return; }
  jq -e '.done == true and (.state == "DONE" or (.error.message // "") != "")' <<<"$opjson" >/dev/null ||
    { fail "the interrupted create did not end with a reason: $(jq -c '{state,error}' <<<"$opjson")"; return; }
  state=$(info_json mid '.status.powerState')
  domid=$(info_json mid '.status.domid // "-"')
  xl_id=$(xl_domid mid || echo -)
  # Either the build had finished (the create is DONE and mid runs, with the
  # domid xl shows) or it had not (the create FAILED saying so, and the
  # half-built guest is gone from xl too). A paused leftover is a failure.
  local opstate
  opstate=$(jq -r .state <<<"$opjson")
  case "$opstate/$state" in
    DONE/RUNNING) [ "$domid" = "$xl_id" ] && [ "$xl_id" != - ] ||
      { fail "xenia says mid is RUNNING domid $domid, xl says domid $xl_id"; return; } ;;
    FAILED/SHUTOFF)
      [ "$xl_id" = - ] || { fail "xenia says mid is SHUTOFF, but xl has it as domid $xl_id"; return; }
      jq -e '.error.message | test("building the guest")' <<<"$opjson" >/dev/null ||
        { fail "the create failed without saying the build was interrupted: $(jq -c .error <<<"$opjson")"; return; } ;;
    *)
      fail "the interrupted create ended $opstate and mid is $state (xl domid $xl_id)"
      xenia_ destroy mid --wait >/dev/null 2>&1
      xenia_ delete mid --wait >/dev/null 2>&1
      return 1 ;;
  esac
  DETAIL="create ended $(jq -r .state <<<"$opjson") (ops wait exit $rc)$(jq -r '.error.message // "" | if . == "" then "" else ": " + . end' <<<"$opjson"); mid is $state, xl domid $xl_id"
  xenia_ destroy mid --wait >/dev/null 2>&1
  xenia_ delete mid --wait || { fail "delete of mid failed"; return; }
  ! xl_domid mid >/dev/null || { fail "mid still exists in xl after destroy and delete"; return; }
}

# A domain made by xl is shown, marked unmanaged, and left alone.
step_unmanaged() {
  local off domid got
  off=$(log_size xlmade)
  xl_ create "$T/guest/xlmade.cfg" || { fail "xl create exited $?"; return; }
  wait_heartbeats xlmade "$off" 120 || { fail "no heartbeat from xlmade"; return; }
  domid=$(xl_domid xlmade)
  # The daemon polls the hypervisor; give it a few seconds to see the domain.
  local deadline=$((SECONDS + 20))
  until got=$(info_json xlmade '"\(.status.domid) \(.status.managed // false)"' 2>/dev/null) &&
    [ "$got" = "$domid false" ]; do
    [ $SECONDS -lt $deadline ] || { fail "xenia info xlmade: '$got', want '$domid false'"; return; }
    sleep 1
  done
  xenia_ info xlmade | tee /tmp/xlmade.info
  grep -Eq '^managed: +no$' /tmp/xlmade.info || { fail "xenia info does not say 'managed: no'"; return; }
  xenia_ -o json list | jq -e --arg n xlmade '.domains[] | select(.spec.name == $n)' >/dev/null ||
    { fail "xenia list does not show xlmade"; return; }
  off=$(log_size xlmade)
  sleep 5
  [ "$(xl_domid xlmade)" = "$domid" ] && [ "$(heartbeats_since xlmade "$off")" -ge 3 ] ||
    { fail "xlmade was disturbed: domid $(xl_domid xlmade), state $(xl_state xlmade)"; return; }
  DETAIL="domid $domid shown, managed: no, untouched for 5s"
}

# The store is lost while xeniad is down (a wiped state directory, an old
# backup): the guest xeniad built is taken back at start (libxl's stored
# config carries xeniad's mark), the one made with xl stays unmanaged.
step_lost_store() {
  local off domid xldomid got log_from
  off=$(log_size kept)
  xenia_ create "$(spec kept PV)" --start --wait || { fail "xenia create kept exited $?"; return; }
  wait_heartbeats kept "$off" 120 || { fail "no heartbeat from kept"; return; }
  domid=$(xl_domid kept)
  xldomid=$(xl_domid xlmade) || { fail "xlmade is not running (see step unmanaged)"; return; }
  kill "$XENIAD_PID"
  wait "$XENIAD_PID" 2>/dev/null
  mkdir -p /var/lib/xenia-lost
  mv /var/lib/xenia/xenia.db* /var/lib/xenia-lost/ || { fail "cannot move the store aside"; return; }
  log_from=$(stat -c %s "$XENIAD_LOG")
  start_xeniad || return
  got=$(info_json kept '"\(.status.domid) \(.status.powerState) \(.status.managed // false)"')
  [ "$got" = "$domid RUNNING true" ] ||
    { fail "kept after the store was lost: '$got', want '$domid RUNNING true'"; return; }
  tail -c +$((log_from + 1)) "$XENIAD_LOG" | grep -q 'msg="adopted a guest xeniad built' ||
    { fail "xeniad did not log the adoption of kept"; return; }
  got=$(info_json xlmade '"\(.status.domid) \(.status.managed // false)"')
  [ "$got" = "$xldomid false" ] || { fail "xlmade after the restart: '$got', want '$xldomid false'"; return; }
  off=$(log_size kept)
  wait_heartbeats kept "$off" 30 || { fail "kept stopped beating"; return; }
  xenia_ destroy kept --wait && xenia_ delete kept --wait || { fail "cleanup of kept failed"; return; }
  DETAIL="kept (domid $domid) adopted back, RUNNING, managed; xlmade (domid $xldomid) still unmanaged"
}

step_adopt() {
  if ! xenia adopt --help >/dev/null 2>&1; then
    DETAIL="this xenia has no adopt verb yet"
    return 77
  fi
  local domid got
  domid=$(xl_domid xlmade) || { fail "xlmade is not running (see step unmanaged)"; return; }
  xenia_ adopt xlmade --wait || { fail "xenia adopt exited $?"; return; }
  got=$(info_json xlmade '"\(.status.domid) \(.status.powerState) \(.status.managed // false)"')
  [ "$got" = "$domid RUNNING true" ] || { fail "after adopt: '$got', want '$domid RUNNING true'"; return; }
  xenia_ destroy xlmade --wait && xenia_ delete xlmade --wait || { fail "destroy/delete after adopt failed"; return; }
  ! xl_domid xlmade >/dev/null || { fail "xlmade still exists in xl after destroy"; return; }
  DETAIL="managed, same domid $domid; then destroyed and deleted through xenia"
}

step_no_memory() {
  xenia_ create --name big --memory 64G --start --wait
  local rc=$?
  [ $rc = 6 ] || { fail "xenia create --memory 64G exited $rc, want 6 (RESOURCE_EXHAUSTED)"; return; }
  ! xl_domid big >/dev/null || { fail "a domain 'big' was left in xl"; return; }
  xenia_ info big >/dev/null 2>&1
  rc=$?
  [ $rc = 3 ] || { fail "xenia info big exited $rc: the failed create left a definition"; return; }
  DETAIL="exit 6, nothing left behind (as on the simulator)"
}

IMAGE_DIR=/var/lib/xenia/images
XL_MAGIC="Xen saved domain, xl format"
image_size_mib() { echo $(($(stat -c %s "$1") / 1048576)); }

# A running PV guest saved and restored through xeniad: the image is in xl's
# format, the guest is gone from Xen while saved, and it beats again after
# the restore (its memory and CPU state came back).
step_save_restore() {
  local off t0 save_s restore_s got
  off=$(log_size sr1)
  xenia_ create "$(spec sr1 PV)" --start --wait || { fail "xenia create sr1 exited $?"; return; }
  wait_heartbeats sr1 "$off" 120 || { fail "no heartbeat from sr1"; return; }
  t0=${EPOCHREALTIME/./}
  xenia_ save sr1 sr1.xsave --wait || { fail "xenia save exited $?"; return; }
  save_s=$(elapsed "$t0")
  ! xl_domid sr1 >/dev/null || { fail "sr1 is still in xl after the save: $(xl list sr1 | tail -1)"; return; }
  [ "$(info_json sr1 .status.powerState)" = SUSPENDED ] ||
    { fail "xenia info does not say SUSPENDED: $(info_json sr1 .status.powerState)"; return; }
  [ "$(head -c 27 "$IMAGE_DIR/sr1.xsave")" = "$XL_MAGIC" ] ||
    { fail "the image does not start with xl's magic: $(head -c 32 "$IMAGE_DIR/sr1.xsave" | od -c | head -2)"; return; }
  off=$(log_size sr1)
  t0=${EPOCHREALTIME/./}
  xenia_ restore sr1 --wait || { fail "xenia restore exited $?"; return; }
  restore_s=$(elapsed "$t0")
  wait_heartbeats sr1 "$off" 60 || { fail "no heartbeat after the restore"; return; }
  got=$(info_json sr1 '"\(.status.domid) \(.status.powerState)"')
  [ "$got" = "$(xl_domid sr1) RUNNING" ] || { fail "xenia info after restore: '$got', xl domid $(xl_domid sr1)"; return; }
  DETAIL="save ${save_s}s ($(image_size_mib "$IMAGE_DIR/sr1.xsave") MiB, xl format), restore ${restore_s}s; beats again as domid $(xl_domid sr1)"
}

# xl restore reads an image xeniad saved, and xeniad restores one xl saved.
step_xl_interop() {
  local off t0 got domid xl_restore_s xenia_restore_s xl_save_s
  # xeniad -> xl
  xenia_ save sr1 sr1-for-xl.xsave --wait || { fail "xenia save exited $?"; return; }
  cp "$IMAGE_DIR/sr1-for-xl.xsave" /tmp/sr1-for-xl.save
  xenia_ delete sr1 --wait || { fail "xenia delete of the saved sr1 exited $?"; return; }
  off=$(log_size sr1)
  t0=${EPOCHREALTIME/./}
  xl_ restore /tmp/sr1-for-xl.save || { fail "xl restore of xeniad's image exited $?"; return; }
  xl_restore_s=$(elapsed "$t0")
  wait_heartbeats sr1 "$off" 60 || { fail "no heartbeat after xl restore"; return; }
  xl_ destroy sr1
  rm -f /tmp/sr1-for-xl.save
  # xeniad lists the guest xl restored as unmanaged (and may list it for a
  # poll after it is gone); only a managed record would need deleting.
  if [ "$(info_json sr1 '.status.managed // false' 2>/dev/null)" = true ]; then
    xenia_ delete sr1 --wait || { fail "cannot delete sr1 after xl destroyed it"; return; }
  fi
  # xl -> xeniad
  off=$(log_size xlsr)
  xl_ create "$T/guest/xlmade.cfg" 'name="xlsr"' || { fail "xl create xlsr exited $?"; return; }
  wait_heartbeats xlsr "$off" 120 || { fail "no heartbeat from xlsr"; return; }
  t0=${EPOCHREALTIME/./}
  xl_ save xlsr "$IMAGE_DIR/xlsr.xsave" || { fail "xl save exited $?"; return; }
  xl_save_s=$(elapsed "$t0")
  ! xl_domid xlsr >/dev/null || { fail "xlsr is still in xl after xl save"; return; }
  off=$(log_size xlsr)
  t0=${EPOCHREALTIME/./}
  xenia_ restore xlsr.xsave --wait || { fail "xenia restore of xl's image exited $?"; return; }
  xenia_restore_s=$(elapsed "$t0")
  wait_heartbeats xlsr "$off" 60 || { fail "no heartbeat after xenia restored xl's image"; return; }
  domid=$(xl_domid xlsr) || { fail "xl does not list xlsr after xenia restored it"; return; }
  got=$(info_json xlsr '"\(.status.domid) \(.status.powerState) \(.status.managed // false) \(.spec.memoryMib)"')
  [ "$got" = "$domid RUNNING true 128" ] || { fail "xenia info xlsr: '$got', want '$domid RUNNING true 128'"; return; }
  xenia_ destroy xlsr --wait && xenia_ delete xlsr --wait || { fail "cleanup of xlsr failed"; return; }
  DETAIL="xl restore of xeniad's image ${xl_restore_s}s, xl save ${xl_save_s}s, xenia restore of xl's image ${xenia_restore_s}s; both beat again"
}

# ---------------------------------------------------------------- PVH
# One attempt with guest NAME: create and start, heartbeat, pause (silent),
# unpause (beats again), destroy, delete. PVH needs tsc_mode native under
# QEMU-TCG (its SVM lacks NRIP-save, so Xen cannot emulate RDTSCP).
pvh_lifecycle() {
  local n=$1 off before
  off=$(log_size "$n")
  xenia_ create "$(spec "$n" PVH "tscMode: native")" --start --wait ||
    { fail "xenia create exited $?"; return; }
  wait_heartbeats "$n" "$off" 120 || { fail "no heartbeat"; return; }
  xenia_ pause "$n" --wait || { fail "xenia pause exited $?"; return; }
  sleep 1
  before=$(log_size "$n")
  sleep 3
  [ "$(log_size "$n")" = "$before" ] || { fail "console grew while paused"; return; }
  xenia_ unpause "$n" --wait || { fail "xenia unpause exited $?"; return; }
  wait_heartbeats "$n" "$before" 30 || { fail "no heartbeat after unpause"; return; }
  xenia_ destroy "$n" --wait || { fail "xenia destroy exited $?"; return; }
  xenia_ delete "$n" --wait || { fail "xenia delete exited $?"; return; }
  DETAIL="create, heartbeat, pause, unpause, destroy, delete"
}
pvh_cleanup() {
  echo "--- PVH guest $1 failed; Xen's last messages:"
  xl dmesg | grep -v '^(XEN) HVM' | tail -12
  xenia_ destroy "$1" --wait
  xenia_ delete "$1" --wait
  xl_ destroy "$1" 2>/dev/null
  true
}

# ---------------------------------------------------------------- main
echo "=== DOM0-INIT-START kernel $(uname -r), $(nproc) cpus, uptime $(uptime_s)s"
dom0_prepare dom0
cat "$T/build-info" 2>/dev/null

step gate dom0_toolstack - step_dom0_toolstack
echo "=== DOM0-READY uptime $(uptime_s)s"
mirror_xeniad_log '[xeniad]'

#    kind name              needs                  function
step gate xl_smoke          dom0_toolstack         step_xl_smoke
step gate xeniad_start      dom0_toolstack         step_xeniad_start
step gate host              xeniad_start           step_host
step gate pv_create         xeniad_start           step_pv_create
step gate list_agrees       pv_create              step_list_agrees
step gate pause_unpause     pv_create              step_pause_unpause
step gate shutdown          pause_unpause          step_shutdown
step gate start_again       shutdown               step_start_again
step gate reboot            start_again            step_reboot
step gate destroy           pv_create              step_destroy
step gate delete            destroy                step_delete
step gate restart_readopts  xeniad_start           step_restart_readopts
step gate kill_mid_create   xeniad_start           step_kill_mid_create
step gate unmanaged         xeniad_start           step_unmanaged
step gate lost_store        unmanaged              step_lost_store
step gate adopt             unmanaged              step_adopt
xl_domid xlmade >/dev/null && xl_ destroy xlmade # when adopt did not clean up
step gate no_memory         xeniad_start           step_no_memory
step gate save_restore      xeniad_start           step_save_restore
step gate xl_interop        save_restore           step_xl_interop
# Last, so that a guest they leave behind cannot change the other steps'.
step gate xlcfg_resources   xeniad_start           step_xlcfg_resources
step gate block_hotplug     xeniad_start           step_block_hotplug
# Not gating until a tier run has proven it.
step info nic_hotplug       xeniad_start           step_nic_hotplug
report_crashed_processes
if [ ${#GATE_FAILED[@]} = 0 ]; then
  echo "=== XEN-TIER-RESULT: PASS"
else
  echo "=== XEN-TIER-RESULT: FAIL (${GATE_FAILED[*]})"
fi

# Non-gating from here on; run.sh scans the serial log after this marker apart.
echo "=== PVH-BEGIN"
pvh_result="FAIL (xeniad not running)"
if [ -n "$XENIAD_PID" ] && kill -0 "$XENIAD_PID" 2>/dev/null; then
  for attempt in 1 2; do
    if step pvh "pvh_lifecycle_$attempt" - pvh_lifecycle "pvh$attempt"; then
      pvh_result="PASS (attempt $attempt)"
      break
    fi
    pvh_cleanup "pvh$attempt"
    pvh_result="FAIL (${PVH_FAILED[*]})"
  done
fi
echo "=== XEN-TIER-PVH: $pvh_result"
[ -n "$XENIAD_PID" ] && kill -0 "$XENIAD_PID" 2>/dev/null && step info xeniad_stop - step_xeniad_stop
xl list
sleep 1 # let the log mirror catch up
