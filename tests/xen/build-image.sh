#!/usr/bin/env bash
# Builds (or finds in the cache) the dom0 image of the real-Xen tier and prints
# the directory that holds it:
#
#   dom0.img     ext4 root file system of a Debian 12 dom0 (debootstrap): Xen's
#                tools (xen-utils-4.17), the hypervisor package, Debian's kernel,
#                busybox, jq, and the runtime libraries of xeniad and xenia
#   xen          the hypervisor, unpacked from xen-hypervisor-4.17-amd64's
#                /boot/xen-*.gz (an ELF that QEMU's -kernel boots by multiboot)
#   vmlinuz, initrd.img   dom0's kernel and Debian's initramfs
#   packages.txt what was installed, with versions; key.txt the cache key inputs
#
# usage: build-image.sh BINARY...   (the freshly built xeniad and xenia)
#
# The runtime libraries are not a hard-coded list: they are the Debian packages
# that own what `ldd` says the binaries load. The cache key is a hash of this
# script, the suite and mirror, and every chosen package with the version the
# host's apt would pick (the dom0 is debootstrapped from the same release), so
# an image is rebuilt only when one of them changes, or when
# XENIA_XEN_REBUILD=1. Needs root (debootstrap) and Debian's archive.
set -euo pipefail
export LC_ALL=C

cache="${XENIA_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xenia-xen-tier}"
suite=bookworm
mirror="${XENIA_DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
# What dom0 needs besides the binaries' libraries: Xen's tools and hypervisor,
# a kernel (its initramfs loads virtio_blk and ext4), modprobe, busybox for the
# guest's /sbin/poweroff test, ps/ip for debugging, jq to read `xenia -o json`,
# socat for the two-host run (two-host.sh: xeniad listens on loopback only, and
# socat exposes it on the hosts' private link).
base_packages=(xen-utils-4.17 xen-hypervisor-4.17-amd64 linux-image-amd64 kmod udev
  busybox procps iproute2 jq socat)

log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 1; }
[ $# -gt 0 ] || die "usage: build-image.sh BINARY..."

# The Debian packages that own the shared libraries the binaries load.
runtime_packages() {
  local libs lib pkg found=()
  mapfile -t libs < <(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
  [ ${#libs[@]} -gt 0 ] || die "ldd found no shared libraries in $*"
  for lib in "${libs[@]}"; do
    # Merged /usr: dpkg may know a library under /lib or under /usr/lib.
    pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null ||
      dpkg -S "${lib#/usr}" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null) ||
      die "$lib (loaded by the binaries) belongs to no Debian package; dom0 would lack it"
    found+=("${pkg%%:*}")
  done
  runtime=($(printf '%s\n' "${found[@]}" | sort -u))
}

# "pkg=version" for each package: the version the host's apt would install
# (the dom0 gets its packages from the same sources). One apt-cache call.
candidate_versions() {
  apt-cache policy "$@" 2>/dev/null |
    awk '/^[^ ]+:$/ {pkg = substr($1, 1, length($1) - 1)} /^  Candidate:/ {print pkg "=" $2}'
}

runtime_packages "$@"
packages=("${base_packages[@]}" "${runtime[@]}")

key_inputs="$(
  echo "suite=$suite mirror=$mirror"
  sha256sum "$0" | cut -d' ' -f1
  candidate_versions "${packages[@]}"
)"
key=$(sha256sum <<<"$key_inputs" | cut -c1-16)
out="$cache/image-$key"

if [ -f "$out/complete" ] && [ "${XENIA_XEN_REBUILD:-0}" != 1 ]; then
  log "cached image $out"
  echo "$out"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per cache; a second run waits, then finds the image.
exec 9>"$cache/lock"
flock 9
if [ -f "$out/complete" ] && [ "${XENIA_XEN_REBUILD:-0}" != 1 ]; then
  echo "$out"
  exit 0
fi

work="$cache/building-$key"
# debootstrap mounts /proc and /sys inside the target; never leave a mount.
unmount_all() {
  local m
  for m in $(awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
}
cleanup() {
  unmount_all
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work" "$cache/debs"
root="$work/rootfs"

log "building image $key (${#packages[@]} packages from $mirror $suite; a few minutes)"
log "runtime packages of the binaries: ${runtime[*]}"
t0=$SECONDS
# A minimal Debian first (--cache-dir keeps its .debs for the next rebuild;
# timeout bounds a stalled mirror)...
timeout 600 debootstrap --variant=minbase --cache-dir="$cache/debs" \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
log "debootstrap took $((SECONDS - t0))s"
# ...then the packages by apt, from the host's own sources: debootstrap takes
# the release as first published, while the binaries were built against the
# host's updated libraries (libxen, libc...) from bookworm-updates/-security.
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" # start no services
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$cache/debs/apt"
cp -l "$cache"/debs/apt/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
mount -t proc proc "$root/proc"
{ chroot "$root" apt-get update -q &&
  DEBIAN_FRONTEND=noninteractive timeout 600 chroot "$root" apt-get -y -q \
    --no-install-recommends install "${packages[@]}" &&
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -y -q dist-upgrade; } \
  >"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; die "apt-get in the dom0 root failed"; }
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$cache/debs/apt" && mkdir -p "$cache/debs/apt"
mv "$root"/var/cache/apt/archives/*.deb "$cache/debs/apt/"
log "packages installed after $((SECONDS - t0))s"

kver=$(basename "$(ls "$root"/boot/vmlinuz-*-amd64 | sort -V | tail -1)")
kver=${kver#vmlinuz-}
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"
zcat "$(ls "$root"/boot/xen-4.17*.gz | head -1)" >"$work/xen"
# The guests boot Debian's kernel too, under a name that does not depend on
# its version (the xl config and the specs refer to it).
ln -sf "vmlinuz-$kver" "$root/boot/vmlinuz-guest"

# dom0's init: mount the data disk that run.sh (or two-host.sh) makes every
# run (the binaries and the test scripts), run the test script, then power the
# emulated machine off (Xen enters ACPI S5 and QEMU exits) whatever happened.
# The script is /xen-tier/dom0-test.sh, or the data disk's file that the
# kernel command line names with xenia_test=NAME.
cat >"$root/sbin/xen-tier-init" <<'EOF'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sys /sys 2>/dev/null
mount -t devtmpfs dev /dev 2>/dev/null
script=dom0-test.sh
read -r cmdline </proc/cmdline
for word in $cmdline; do
  case $word in xenia_test=*) script=${word#xenia_test=} ;; esac
done
case $script in */* | .*) script="" ;; esac # a file of the data disk's top
mkdir -p /xen-tier
if ! mount -o ro /dev/vdb /xen-tier; then
  echo "XEN-TIER-RESULT: FAIL (no data disk /dev/vdb)"
elif [ -z "$script" ] || [ ! -f "/xen-tier/$script" ]; then
  echo "XEN-TIER-RESULT: FAIL (no test script '$script' on the data disk)"
else
  /bin/bash "/xen-tier/$script"
fi
echo "=== DOM0-POWEROFF"
sync
echo o >/proc/sysrq-trigger
sleep 60
EOF
chmod 755 "$root/sbin/xen-tier-init"

chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$work/packages.txt"
echo "$key_inputs" >"$work/key.txt"
# Trim what a test boot never reads: .debs, apt's lists, docs.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
  "$root"/usr/share/man "$root"/usr/share/locale
# An ext4 image straight from the directory: no loop mount. Sparse; QEMU opens
# it with snapshot=on, so every boot starts from this pristine state.
size_mib=$(($(du -sm "$root" | cut -f1) + 1024))
unmount_all
mkfs.ext4 -q -F -L dom0root -d "$root" "$work/dom0.img" "${size_mib}M" >/dev/null
rm -rf "$root"

rm -rf "$out"
mv "$work" "$out"
touch "$out/complete"
trap - EXIT
# Keep only this image: an older key's image is ~1 GB that no run will use.
for old in "$cache"/image-*; do
  [ "$old" = "$out" ] || rm -rf "$old"
done
log "image $key built in $((SECONDS - t0))s: $out"
echo "$out"
