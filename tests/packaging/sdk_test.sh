#!/usr/bin/env bash
# sdk_test.sh BUILD_DIR: the SDK template built against the relais-dev package alone (unpacked
# into a scratch prefix: find_package(RelaisSDK) through CMAKE_PREFIX_PATH), and the plugin it
# builds listed by the host.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build="$(cd "${1:?usage: sdk_test.sh BUILD_DIR}" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

dev_deb="$(deb_of "$build/packages" relais-dev)"
dpkg-deb -x "$dev_deb" "$scratch/root"
prefix="$scratch/root/usr"
for f in include/relais/plugin.h lib/cmake/RelaisSDK/RelaisSDKConfig.cmake share/relais/sdk-template/CMakeLists.txt; do
    check "relais-dev carries /usr/$f" test -f "$prefix/$f"
done
check "relais-dev carries the support library" bash -c 'ls "$1"/lib/librelais_sdk_support.a >/dev/null' _ "$prefix"
check "relais-dev depends on libpoco-dev" bash -c 'dpkg-deb -f "$1" Depends | grep -q libpoco-dev' _ "$dev_deb"
cp -r "$prefix/share/relais/sdk-template" "$scratch/hello"
check "the template configures against the package (find_package(RelaisSDK))" \
    cmake -S "$scratch/hello" -B "$scratch/hello-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
check "and builds" cmake --build "$scratch/hello-build"
list="$("$build/bin/relais" --plugin-dir "$scratch/hello-build" plugins list 2>&1 || true)"
sed 's/^/    /' <<<"$list"
check "the host lists the template's plugin, hello 1.0.0" grep -Eq '^hello +1\.0\.0 ' <<<"$list"
tally
