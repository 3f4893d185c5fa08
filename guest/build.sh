#!/usr/bin/env bash
# Builds the test guest from Debian 12 packages: a stock kernel (vmlinuz, and vmlinux: the same
# kernel uncompressed, which boots faster) and an initramfs (initrd.gz) with busybox, the DRM/virtio/input/sound modules and guestdraw (src/, a static C
# program that draws the workloads on the framebuffer and echoes input on the serial console).
#
#   guest/build.sh OUTDIR
#
# Cached: when OUTDIR holds the products of this same builder (a hash of this script, init and
# src/ stamped in OUTDIR/stamp) it does nothing. Downloaded packages stay in OUTDIR/debs.
# Prints, on stdout, shell assignments naming the products:
#   GUEST_KERNEL=OUTDIR/vmlinuz  GUEST_VMLINUX=OUTDIR/vmlinux  GUEST_INITRD=OUTDIR/initrd.gz
#   GUEST_KERNEL_VERSION=...  GUEST_BUILDER=<the stamp>
# Needs apt-get/dpkg-deb, gcc, libc6-dev, cpio and xz-utils; as root it installs the missing ones.
# GUEST_KERNEL_PKG picks another kernel package (default: what linux-image-amd64 depends on).
set -euo pipefail

out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel_pkg=${GUEST_KERNEL_PKG:-linux-image-amd64}
# Loaded in this order. Input first, as its devices probe in the background (the PS/2 mouse
# takes a while; the keyboard's atkbd/i8042 are built in): evdev for /dev/input, PS/2 mouse,
# USB and virtio tablets and keyboards, virtio_console for the vdagent port tests; then bochs
# (-vga std) and virtio-gpu (-device virtio-vga) with their fbdev emulation.
modules=(evdev psmouse usbhid hid-generic xhci-pci ehci-pci uhci-hcd virtio_pci virtio_input virtio_console bochs virtio-gpu)
# Sound for workload=tone, workload=beep or sound=1 only (init loads them then): QEMU's intel-hda with hda-duplex, whose
# codec the generic HDA codec driver serves (loaded first, so the controller finds it).
sound_modules=(snd-hda-codec-generic snd-hda-intel)

log() { echo "guest-build: $*" >&2; }

version=$( (cat "$here/build.sh" "$here/init" "$here"/src/*; echo "$kernel_pkg") | sha256sum | cut -c1-16)

mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.lock"
flock 9 # concurrent test runs build once

print_products() {
  cat "$out/guest.env"
}

if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$version" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/vmlinux" ] && [ -f "$out/initrd.gz" ]; then
  print_products
  exit 0
fi
log "building guest $version in $out"

need_packages=()
command -v gcc >/dev/null || need_packages+=(gcc)
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need_packages+=(libc6-dev)
command -v cpio >/dev/null || need_packages+=(cpio)
command -v xz >/dev/null || need_packages+=(xz-utils)
if [ ${#need_packages[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { log "missing Debian packages: ${need_packages[*]}"; exit 1; }
  log "installing ${need_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >&2
fi

# A meta package (linux-image-amd64) names the versioned one in its Depends.
resolve_kernel() {
  apt-cache depends "$kernel_pkg" 2>/dev/null | awk '/^ *Depends: linux-image-/ { print $2; exit }'
}
if ! apt-cache show "$kernel_pkg" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { log "apt knows no $kernel_pkg; run apt-get update"; exit 1; }
  apt-get update -qq
fi
real_kernel_pkg=$(resolve_kernel)
real_kernel_pkg=${real_kernel_pkg:-$kernel_pkg}

debs="$out/debs"
mkdir -p "$debs"
fetch() { (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$1" >&2); }
download() { # package -> path of its .deb in $debs
  local pkg=$1 file
  file=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
  if [ -z "$file" ]; then
    log "downloading $pkg"
    # stale package lists name versions the mirror no longer has: refresh them once
    fetch "$pkg" || { [ "$(id -u)" -eq 0 ] && apt-get update -qq && fetch "$pkg"; }
    file=$(ls "$debs/${pkg}_"*.deb | head -n1)
  fi
  echo "$file"
}
kernel_deb=$(download "$real_kernel_pkg")
busybox_deb=$(download busybox-static)
libdrm_deb=$(download libdrm-dev)

work="$out/work"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
dpkg-deb -x "$libdrm_deb" "$work/libdrm"
kver=$(ls "$work/kernel/lib/modules")
kmods="$work/kernel/lib/modules/$kver"
busybox="$work/busybox/bin/busybox"

root="$work/root"
mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,root} "$root/lib/modules/$kver"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
install -m 755 "$here/init" "$root/init"
printf '%s\n' "${modules[@]}" >"$root/etc/guest-modules"
printf '%s\n' "${sound_modules[@]}" >"$root/etc/guest-sound-modules"
# QEMU's PS/2 mouse is an IntelliMouse Explorer: probing for the other kinds costs a second of TCG.
mkdir -p "$root/etc/modprobe.d"
echo "options psmouse proto=exps" >"$root/etc/modprobe.d/guest.conf"

# The modules and everything they depend on (the .ko's own "depends=" field).
declare -A copied=()
copy_module() {
  local name=$1 rel dep
  [ -n "${copied[$name]:-}" ] && return
  copied[$name]=1
  rel=$(grep -E "/${name}\.ko\$" "$kmods/modules.order" || grep -E "/${name//_/[-_]}\.ko\$" "$kmods/modules.order" || true)
  [ -n "$rel" ] || { log "module $name not in $real_kernel_pkg"; exit 1; }
  mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
  cp "$kmods/$rel" "$root/lib/modules/$kver/$rel"
  for dep in $(tr '\0' '\n' <"$kmods/$rel" | sed -n 's/^depends=//p' | tr ',' ' '); do
    copy_module "$dep"
  done
}
for m in "${modules[@]}" "${sound_modules[@]}"; do copy_module "$m"; done
"$busybox" depmod -b "$root" "$kver"

log "compiling guestdraw"
gcc -static -O2 -Wall -Wextra -I"$work/libdrm/usr/include/libdrm" -o "$root/bin/guestdraw" "$here"/src/*.c -lm
strip "$root/bin/guestdraw" 2>/dev/null || true
ln -sf guestdraw "$root/bin/guestagent" # the same program as the guest's SPICE agent (src/agent.h)
ln -sf guestdraw "$root/bin/guestport"  # and as its SPICE port ends (src/ports.h)

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/initrd.gz"

# The kernel also as the uncompressed ELF inside the bzImage: QEMU boots it through its PVH
# entry (CONFIG_PVH), which skips the decompressor, three seconds of TCG.
vmlinuz="$work/kernel/boot/vmlinuz-$kver"
xz_at=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1) || true # head ends grep early
[ -n "$xz_at" ] || { log "no xz stream in $vmlinuz"; exit 1; }
# (busybox's xz lacks the x86 BCJ filter the kernel is packed with; the stream has a tail: --single-stream)
xz -dc --single-stream < <(tail -c +$((xz_at + 1)) "$vmlinuz") >"$work/vmlinux" # xz stops reading at the stream's end
[ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { log "no ELF kernel inside $vmlinuz"; exit 1; }

mv "$work/initrd.gz" "$out/initrd.gz"
mv "$work/vmlinux" "$out/vmlinux"
cp "$vmlinuz" "$out/vmlinuz"
cat >"$out/guest.env" <<ENV
GUEST_KERNEL=$out/vmlinuz
GUEST_VMLINUX=$out/vmlinux
GUEST_INITRD=$out/initrd.gz
GUEST_KERNEL_VERSION=$kver
GUEST_BUILDER=$version
ENV
echo "$version" >"$out/stamp"
log "built: kernel $kver, initrd $(du -k "$out/initrd.gz" | cut -f1) KiB"
print_products
