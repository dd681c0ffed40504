#!/usr/bin/env bash
# Installs the Debian packages the rfb interop tests (tests/interop_*.rs) run against.
# Idempotent: does nothing when every binary is already there. Needs root or sudo.
set -euo pipefail

# binary -> package that provides it
declare -A PACKAGE_OF=(
  [Xvnc]=tigervnc-standalone-server
  [vncpasswd]=tigervnc-tools
  [xsetroot]=x11-xserver-utils
  [xev]=x11-utils
  [xdpyinfo]=x11-utils
  [xlogo]=x11-apps
  [xdotool]=xdotool
  [qemu-system-x86_64]=qemu-system-x86
)

missing=()
for binary in "${!PACKAGE_OF[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$binary]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "rfb interop dependencies: all installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  as_root=(sudo)
fi

echo "rfb interop dependencies: installing ${missing[*]}"
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
