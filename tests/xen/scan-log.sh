#!/usr/bin/env bash
# Scans a serial log of the real-Xen tier for signs that something crashed:
# a process killed by SIGSEGV or SIGABRT in dom0 (the kernel's "segfault at",
# the shell's "Segmentation fault" and "Aborted", glibc's heap corruption
# messages), a kernel panic (dom0 or a
# guest), a guest's triple fault, a general protection fault.
#
# Signatures before the "=== PVH-BEGIN" line fail the scan. Those after it
# are only reported: QEMU 7.2's nested SVM corrupts memory in about 3 PVH
# boots in 10, and the PVH steps do not gate.
#
# usage: scan-log.sh SERIAL_LOG      exit 0 if no gating signature was found
set -euo pipefail

log="${1:?usage: scan-log.sh SERIAL_LOG}"
# "unable to XZ decompress kernel": libxc found the guest kernel, which every
# other create of the boot decompresses, corrupt in dom0's memory.
signatures='segfault|Segmentation fault|Aborted|malloc\(\): |free\(\): |double free or corruption|corrupted double-linked list|corrupted size vs|Kernel panic|Triple fault|general protection fault|unable to XZ decompress kernel'

pvh_line=$(grep -an -m1 '=== PVH-BEGIN' "$log" | cut -d: -f1 || true)
pvh_line=${pvh_line:-999999999}
gating=$(awk -v n="$pvh_line" 'NR < n' "$log" | grep -aE "$signatures" || true)
after=$(awk -v n="$pvh_line" 'NR > n' "$log" | grep -aE "$signatures" || true)

if [ -n "$after" ]; then
  echo "scan-log: crash signatures during the PVH steps (reported, not gating):"
  sed 's/^/  /' <<<"$after"
fi
if [ -n "$gating" ]; then
  echo "scan-log: crash signatures before the PVH steps (gating):"
  sed 's/^/  /' <<<"$gating"
  exit 1
fi
echo "scan-log: no crash signature before the PVH steps"
