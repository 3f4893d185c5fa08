#!/usr/bin/env bash
# Installs the Debian packages the tests use (real SPICE clients, QEMU, Xvfb, tshark as they
# come in), when missing. As root it runs apt-get; otherwise it names what is missing.
set -euo pipefail
# Build: g++ make python3, libsasl2-dev (the addon links cyrus-sasl), libopus-dev (the addon
# links libopus: Opus audio for the playback and record channels). SASL tests: sasl2-bin
# (saslpasswd2 makes their password database), libsasl2-modules (SCRAM, DIGEST-MD5, PLAIN).
# liblz4-dev: the addon's LZ4 image encoder links Debian's liblz4.
# Real clients: spice-client-gtk (spicy) and its GObject bindings for test/e2e/spice-probe.py, xvfb for windows; spice-html5 (its decoders are test oracles);
# tshark dissects SPICE; openssl makes the test CA; libspice-protocol-dev has the QXL headers;
# qemu-system-x86 boots the test guest, which gcc, libc6-dev, cpio and xz-utils build;
# dbus-daemon and libglib2.0-bin (gdbus) check our D-Bus against the reference one; iproute2
# (ip netns, tc) makes bench:e2e's shaped link. Video streams (native/src/video): libturbojpeg0-dev
# (MJPEG, JPEG), libvpx-dev (VP8), libopenh264-dev (H.264, BSD-licensed); their decoders are test
# oracles through gst-launch-1.0 (gstreamer1.0-tools): jpegdec and vp8dec (gstreamer1.0-plugins-good),
# avdec_h264 (gstreamer1.0-libav), videoconvert (gstreamer1.0-plugins-base). spice-gtk advertises and decodes VP8
# and H.264 streams only with those decoders, and plays H.264 only with h264parse (gstreamer1.0-plugins-bad).
packages=(g++ make python3 libsasl2-dev libopus-dev liblz4-dev sasl2-bin libsasl2-modules openssl spice-client-gtk gir1.2-spiceclientglib-2.0 python3-gi xvfb tshark spice-html5 libspice-protocol-dev qemu-system-x86 gcc libc6-dev cpio xz-utils dbus-daemon libglib2.0-bin iproute2 libturbojpeg0-dev libvpx-dev libopenh264-dev gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-plugins-bad)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]} (run this script as root to install them)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${missing[@]}"
