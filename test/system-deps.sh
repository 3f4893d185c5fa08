#!/usr/bin/env bash
# Installs the Debian packages the tests use (real SPICE clients, QEMU, Xvfb, tshark as they
# come in), when missing. As root it runs apt-get; otherwise it names what is missing.
set -euo pipefail
packages=(g++ make python3 gcc libspice-protocol-dev)
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
apt-get install -y -qq --no-install-recommends "${missing[@]}"
