#!/usr/bin/env bash
# make_root.sh BUILD_DIR: a clean Debian 12 root for the install tests, made once per build tree
# (debootstrap --variant=minbase bookworm, about half a minute) and kept in
# BUILD_DIR/packaging-test/minbase; the tests copy it. The mirror is the one this machine's apt
# uses (RELAIS_DEBIAN_MIRROR overrides it).
set -euo pipefail
work="${1:?usage: make_root.sh BUILD_DIR}/packaging-test"
root="$work/minbase"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: debootstrap and chroot need root"
    exit 77
fi
if [ -f "$root/.relais-root-ready" ]; then
    echo "reusing the root in $root"
    exit 0
fi

# The first Debian mirror and security mirror named in this machine's sources.
uris="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '/^deb /{print $2}';
        cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for(i=2;i<=NF;i++)print $i}')" || true
mirror="${RELAIS_DEBIAN_MIRROR:-$(grep -E '/debian/?$' <<<"$uris" | head -1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
security="$(grep -E '/debian-security/?$' <<<"$uris" | head -1 || true)"
security="${security:-http://deb.debian.org/debian-security}"

mkdir -p "$work"
rm -rf "$root.partial"
echo "debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$root.partial" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log"
    echo "debootstrap failed (log: $work/debootstrap.log)"
    exit 1
fi
cat >"$root.partial/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
# No daemon starts inside the root (there is no systemd there anyway).
printf '#!/bin/sh\nexit 101\n' >"$root.partial/usr/sbin/policy-rc.d"
chmod 0755 "$root.partial/usr/sbin/policy-rc.d"
rm -rf "$root"
mv "$root.partial" "$root"
touch "$root/.relais-root-ready"
echo "root ready in $root"
