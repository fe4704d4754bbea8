#!/usr/bin/env bash
# The first command of the README: installs what is missing, builds, and runs
# xeniad in the foreground on the simulated hypervisor, with its state under
# .xenia/ in this checkout and its socket where the xenia CLI looks by
# default. Stop it with Ctrl-C. Safe to run again: the state is kept, and a
# second xeniad on the same state refuses to start while the first runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

scripts/install-deps.sh
scripts/build.sh release

state_dir="${XENIA_STATE_DIR:-$repo/.xenia}"
socket="${XENIA_SOCKET:-/run/xenia/xeniad.sock}"
bin="$repo/build/release/bin"

cat <<TXT

xeniad starts below on the simulated hypervisor (a 16 GiB, 8-CPU host).
  state directory: $state_dir
  socket:          $socket

In another terminal, use the CLI:
  export PATH="$bin:\$PATH"$( [ "$socket" != /run/xenia/xeniad.sock ] && printf ' XENIA_SOCKET=%q' "$socket")
  xenia host
  xenia create --name demo --memory 512M --vcpus 2 --start --wait
  xenia list
  xenia shutdown demo --wait
  xenia --help

Stop xeniad with Ctrl-C.

TXT
exec "$bin/xeniad" --backend sim --state-dir "$state_dir" --socket "$socket"
