#!/usr/bin/env bash
# install_test.sh BUILD_DIR: the packages in a clean Debian 12 root (make_root.sh's, copied).
#   1. apt-get install relais and every connector (the libraries come from the mirror, by the
#      computed Depends): files, the relais user, permissions, `relais plugins list`;
#   2. `relais serve` in the root as the relais user, with the packaged configuration and its
#      tokens as systemd credentials would hand them over (no systemd in a chroot);
#   3. a newer relais-connector-diagnostics installed, SIGHUP (the unit's ExecReload): the new
#      version served by the same process; the connector removed: the others still served;
#   4. a reinstall over an installed relais (maintainer scripts run again) keeps the tokens,
#      the configuration and the data; remove, then purge: nothing of relais left.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
build="$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)"
work="$build/packaging-test"
root="$work/root"
packages="$build/packages"
upgrade_deb="$(deb_of "$work/upgrade-build/packages" relais-connector-diagnostics 1.0.1)"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: chroot needs root"
    exit 77
fi

serve_pid=""
cleanup() {
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$serve_pid" 2>/dev/null || true
    fi
    for m in "$root/var/cache/apt/archives" "$root/proc"; do
        if mountpoint -q "$m"; then umount "$m" || umount -l "$m"; fi
    done
}
trap cleanup EXIT

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
apt_in_root() {
    in_root apt-get -q -y -o Dpkg::Use-Pty=0 -o APT::Install-Recommends=false "$@" >>"$work/apt.log" 2>&1 ||
        { tail -30 "$work/apt.log"; return 1; }
}

# ---- a fresh copy of the clean root ----
start=$SECONDS
rm -rf "$root"
cp -a "$work/minbase" "$root"
mkdir -p "$work/apt-archives/partial" "$root/tmp/debs"
mount -t proc proc "$root/proc"
# Downloaded libraries are kept between runs.
mount --bind "$work/apt-archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
: >"$work/apt.log"
apt_in_root update

# ---- 1. install ----
debs=()
while read -r plugin version package deb_version; do
    deb="$(deb_of "$packages" "$package" "$deb_version")"
    cp "$deb" "$root/tmp/debs/"
    debs+=("/tmp/debs/$(basename "$deb")")
done <"$build/packaging/shipped-plugins.txt"
relais_deb="$(deb_of "$packages" relais)"
cp "$relais_deb" "$root/tmp/debs/"
check "apt-get install relais and ${#debs[@]} connectors in a clean root" \
    apt_in_root install "/tmp/debs/$(basename "$relais_deb")" "${debs[@]}"
echo "    (installed in $((SECONDS - start)) s)"

for f in /usr/bin/relais /lib/systemd/system/relais.service /etc/relais/relais.json \
    /usr/share/man/man1/relais.1.gz /usr/share/doc/relais/README.md /usr/share/doc/relais/copyright; do
    check "file $f" test -f "$root$f"
done
while read -r plugin version package deb_version; do
    check "$package: plugin $plugin.so and its manifest" \
        test -f "$root/usr/lib/relais/plugins/$plugin.so" -a -f "$root/usr/lib/relais/plugins/$plugin.manifest.json"
    equals "$package is installed at $deb_version" "$deb_version" \
        "$(in_root dpkg-query -W -f '${Version}' "$package" 2>/dev/null || true)"
done <"$build/packaging/shipped-plugins.txt"
depends="$(in_root dpkg-query -W -f '${Depends}' relais)"
check "relais Depends names the Poco libraries (computed): $depends" grep -q 'libpoco' <<<"$depends"

passwd_line="$(in_root getent passwd relais || true)"
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd_line"
check "user relais exists ($passwd_line)" test -n "$passwd_line"
check "relais is a system user (uid $uid)" test "${uid:-1000}" -lt 1000
equals "relais's home" /var/lib/relais "$home"
equals "relais's shell" /usr/sbin/nologin "$shell"
equals "relais's group" relais "$(in_root getent group "$gid" | cut -d: -f1)"
equals "/etc/relais/relais.json mode and owner" "640 root relais" "$(in_root stat -c '%a %U %G' "/etc/relais/relais.json")"
equals "/etc/relais/relais.json is a conffile" "/etc/relais/relais.json" \
    "$(in_root dpkg-query -W -f '${Conffiles}' relais | awk '{print $1}')"
equals "/var/lib/relais mode and owner" "750 relais relais" "$(in_root stat -c '%a %U %G' "/var/lib/relais")"
equals "/etc/relais/credentials mode and owner" "700 root root" "$(in_root stat -c '%a %U %G' "/etc/relais/credentials")"
for name in client-token admin-token; do
    equals "credential $name mode and owner" "600 root root" "$(in_root stat -c '%a %U %G' "/etc/relais/credentials/$name")"
    check "credential $name is 64 random hex digits" grep -Eqx '[0-9a-f]{64}' "$root/etc/relais/credentials/$name"
done
client_token="$(cat "$root/etc/relais/credentials/client-token")"
admin_token="$(cat "$root/etc/relais/credentials/admin-token")"

list="$(in_root relais plugins list 2>&1 || true)"
echo "$list" | sed 's/^/    /'
while read -r plugin version package deb_version; do
    check "relais plugins list shows $plugin $version" grep -Eq "^$plugin +$version " <<<"$list"
done <"$build/packaging/shipped-plugins.txt"
check "relais config check accepts the packaged configuration with its credentials" \
    in_root env CREDENTIALS_DIRECTORY=/etc/relais/credentials relais config check /etc/relais/relais.json

# ---- 2. the service, as systemd would run it ----
# systemd hands the credentials over in a directory only the service's user reads.
creds="$root/run/credentials/relais.service"
mkdir -p "$creds"
cp "$root/etc/relais/credentials/"* "$creds/"
in_root chown -R relais:relais /run/credentials/relais.service
chmod 0500 "$creds" && chmod 0400 "$creds"/*
serve_log="$work/serve.log"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CREDENTIALS_DIRECTORY=/run/credentials/relais.service \
    setpriv --reuid=relais --regid=relais --init-groups \
    /usr/bin/relais serve --config /etc/relais/relais.json --port 0 >"$serve_log" 2>&1 &
serve_pid=$!
url=""
for _ in $(seq 300); do
    url="$(grep -o 'listening on http://[0-9.:]*' "$serve_log" | head -1 | sed 's/listening on //')" || true
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
check "relais serve listens, as the relais user, with the packaged configuration ($url)" test -n "$url"
if [ -z "$url" ]; then
    cat "$serve_log"
    tally
    exit 1
fi
equals "the service runs as the relais user (uid $uid)" "$uid" "$(ps -o uid= -p "$serve_pid" | tr -d ' ')"

connectors() { curl -sf -H "Authorization: Bearer $client_token" "$url/api/v1/connectors"; }
served() { connectors | grep -o '"name":"[a-z0-9_]*","version":"[^"]*"' | sed 's/"name":"\([^"]*\)","version":"\([^"]*\)"/\1 \2/'; }
# wait_served LINE: true once `served` shows it (a reload runs in the background of the signal).
wait_served() {
    for _ in $(seq 100); do
        served | grep -qx "$1" && return 0
        sleep 0.1
    done
    return 1
}
equals "GET /healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")"
equals "the API refuses no token" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/connectors")"
equals "the admin token from the credentials is accepted" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $admin_token" "$url/api/v1/connectors")"
before="$(served)"
echo "$before" | sed 's/^/    served: /'
while read -r plugin version package deb_version; do
    check "GET /api/v1/connectors serves $plugin $version" grep -qx "$plugin $version" <<<"$before"
done <"$build/packaging/shipped-plugins.txt"
check "the service copied its plugins to /var/lib/relais/plugin-cache" test -d "$root/var/lib/relais/plugin-cache"

# ---- 3. upgrade a connector without a restart, then remove it ----
cp "$upgrade_deb" "$root/tmp/debs/"
check "apt-get install relais-connector-diagnostics 1.0.1 over 1.0.0" \
    apt_in_root install "/tmp/debs/$(basename "$upgrade_deb")"
equals "relais-connector-diagnostics is at 1.0.1" 1.0.1 "$(in_root dpkg-query -W -f '${Version}' relais-connector-diagnostics)"
check "before the reload, diagnostics 1.0.0 is still served" wait_served "diagnostics 1.0.0"
kill -HUP "$serve_pid"
check "after SIGHUP, diagnostics 1.0.1 is served" wait_served "diagnostics 1.0.1"
check "by the same process, never restarted" kill -0 "$serve_pid"
check "the log says the reload loaded diagnostics 1.0.1" grep -q "loaded diagnostics 1.0.1" "$serve_log"
equals "GET /healthz after the reload" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")"

check "apt-get remove relais-connector-diagnostics" apt_in_root remove relais-connector-diagnostics
check "its files are gone" test ! -e "$root/usr/lib/relais/plugins/diagnostics.so"
kill -HUP "$serve_pid"
sleep 1
after="$(served)"
while read -r plugin version package deb_version; do
    [ "$plugin" = diagnostics ] && continue
    check "after the removal and a reload, $plugin $version still served" grep -qx "$plugin $version" <<<"$after"
done <"$build/packaging/shipped-plugins.txt"
# The host never unloads a library: a removed connector is gone at the next start.
kill -TERM "$serve_pid"
for _ in $(seq 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops the service" bash -c "! kill -0 $serve_pid 2>/dev/null"
serve_pid=""
list="$(in_root relais plugins list 2>&1 || true)"
check "relais plugins list no longer shows diagnostics" bash -c "! grep -Eq '^diagnostics ' <<<\"\$1\"" _ "$list"

# ---- 4. reinstall, remove, purge ----
echo "edited by the test" >"$root/var/lib/relais/kept"
sed -i 's/"level": "information"/"level": "warning"/' "$root/etc/relais/relais.json"
check "apt-get reinstall relais (its maintainer scripts run again)" \
    apt_in_root install --reinstall "/tmp/debs/$(basename "$relais_deb")"
equals "the tokens are kept" "$client_token" "$(cat "$root/etc/relais/credentials/client-token")"
check "the edited configuration is kept" grep -q '"level": "warning"' "$root/etc/relais/relais.json"
equals "its mode and owner too" "640 root relais" "$(in_root stat -c '%a %U %G' "/etc/relais/relais.json")"
check "the data is kept" test -f "$root/var/lib/relais/kept"
equals "one relais user" 1 "$(in_root getent passwd | grep -c '^relais:')"

others=()
while read -r plugin version package deb_version; do
    [ "$plugin" = diagnostics ] || others+=("$package")
done <"$build/packaging/shipped-plugins.txt"
check "apt-get remove relais and the connectors" apt_in_root remove relais "${others[@]}"
check "removal keeps the configuration" test -f "$root/etc/relais/relais.json"
check "removal keeps the data" test -f "$root/var/lib/relais/kept"
check "removal keeps the user" bash -c "chroot '$root' getent passwd relais >/dev/null"
check "the binary is gone" test ! -e "$root/usr/bin/relais"
check "apt-get purge relais and the connectors" apt_in_root purge relais "${others[@]}" relais-connector-diagnostics
check "purge removes /etc/relais" test ! -e "$root/etc/relais"
check "purge removes /var/lib/relais" test ! -e "$root/var/lib/relais"
check "purge removes the user" bash -c "! chroot '$root' getent passwd relais >/dev/null"
check "purge removes the group" bash -c "! chroot '$root' getent group relais >/dev/null"
check "purge removes the stat override" bash -c "! chroot '$root' dpkg-statoverride --list /etc/relais/relais.json >/dev/null"
left="$(in_root dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 2>/dev/null | grep -E ' relais' || true)"
equals "dpkg knows no relais package any more" "" "$left"
left_files="$(cd "$root" && find usr/lib/relais usr/share/doc/relais lib/systemd/system/relais.service 2>/dev/null || true)"
equals "no file of relais left" "" "$left_files"
echo "    (whole scenario in $((SECONDS - start)) s)"
tally
