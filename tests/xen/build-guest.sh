#!/usr/bin/env bash
# Builds the test guest's initramfs: busybox (static, from the host's
# busybox-static) and an /init that prints DOMU-READY, then a heartbeat
# "DOMU-HB n" every second on its console (hvc0), which dom0's xenconsoled
# logs to /var/log/xen/console/guest-NAME.log. The guest boots Debian's kernel
# from the dom0 image (/boot/vmlinuz-guest); it has no disk and no network.
#
# A graceful shutdown works as on any Linux guest: the kernel sees Xen's
# control/shutdown request and runs /sbin/poweroff (or /sbin/reboot), which
# (busybox) signals PID 1; /init traps the signal and powers off for real.
#
# usage: build-guest.sh OUTPUT.cpio.gz      (takes well under a second)
set -euo pipefail

out="${1:?usage: build-guest.sh OUTPUT.cpio.gz}"
busybox=/bin/busybox
[ -x "$busybox" ] && { ldd "$busybox" 2>&1 || true; } | grep -q 'not a dynamic executable' ||
  { echo "build-guest: $busybox is not static (install busybox-static)" >&2; exit 1; }

root=$(mktemp -d "${TMPDIR:-/tmp}/xen-tier-guest.XXXXXX")
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount cat echo sleep uname sync; do ln -s busybox "$root/bin/$applet"; done
for applet in poweroff reboot halt; do ln -s ../bin/busybox "$root/sbin/$applet"; done

cat >"$root/init" <<'EOF'
#!/bin/sh
# PID 1 of the test guest: a heartbeat on the console, and a clean power-off
# when dom0 asks for one. busybox's poweroff/reboot/halt signal PID 1 with
# USR2/TERM/USR1; -f then does the reboot(2) call itself.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
trap 'echo "DOMU-POWEROFF"; sync; poweroff -f' USR2 USR1
trap 'echo "DOMU-REBOOT"; sync; reboot -f' TERM
echo "DOMU-READY kernel=$(uname -r)"
i=0
while true; do
  echo "DOMU-HB $i"
  i=$((i + 1))
  sleep 1
done
EOF
chmod 755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
