#!/usr/bin/env bash
# unit_test.sh BUILD_DIR: systemd-analyze verify on the unit the relais package installs. The
# unit is taken from the package; only its /usr/bin/relais becomes the build's binary, so that
# the check runs against this machine's systemd without installing anything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build="$(cd "${1:?usage: unit_test.sh BUILD_DIR}" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

dpkg-deb -x "$(deb_of "$build/packages" relais)" "$scratch/root"
packaged="$scratch/root/lib/systemd/system/relais.service"
check "the relais package carries its unit" test -f "$packaged"
mkdir -p "$scratch/units"
sed "s|/usr/bin/relais|$build/bin/relais|g" "$packaged" >"$scratch/units/relais.service"
# --man=no: the man page is in the package, not installed here.
out="$(systemd-analyze verify --man=no "$scratch/units/relais.service" 2>&1)" && verified=0 || verified=$?
[ -z "$out" ] || sed 's/^/    /' <<<"$out"
equals "systemd-analyze verify relais.service exits 0" 0 "$verified"
check "and says nothing about relais.service" bash -c '! grep -q "relais.service" <<<"$1"' _ "$out"
check "the man page the unit names is in the package" test -f "$scratch/root/usr/share/man/man1/relais.1.gz"
for key in Type=notify User=relais ExecStart=/usr/bin/relais "ExecReload=/bin/kill -HUP" ProtectSystem=strict \
    StateDirectory=relais ConfigurationDirectory=relais ReadWritePaths=/var/lib/relais \
    LoadCredential=client-token: LoadCredential=admin-token:; do
    check "the unit sets $key" grep -q "^$key" "$packaged"
done
tally
