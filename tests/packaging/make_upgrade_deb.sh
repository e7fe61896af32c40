#!/usr/bin/env bash
# make_upgrade_deb.sh SOURCE_DIR BUILD_DIR: a newer relais-connector-diagnostics (1.0.1, its
# plugin rebuilt at that version) for the upgrade test, from a small build of the same sources
# in BUILD_DIR/packaging-test/upgrade-build that builds only that plugin. Kept between runs.
set -euo pipefail
source_dir="${1:?usage: make_upgrade_deb.sh SOURCE_DIR BUILD_DIR}"
build="${2:?usage: make_upgrade_deb.sh SOURCE_DIR BUILD_DIR}/packaging-test/upgrade-build"

mkdir -p "$(dirname "$build")"
cmake -S "$source_dir" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRELAIS_BUILD_TESTS=OFF -DRELAIS_BUILD_BENCH=OFF \
    -DRELAIS_PLUGIN_diagnostics_VERSION_OVERRIDE=1.0.1 >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
cmake --build "$build" --target relais_plugin_diagnostics
rm -rf "$build/packages"
(cd "$build" && cpack --config "$build/packaging/cpack/connector_diagnostics.cmake" >cpack.log 2>&1) ||
    { cat "$build/cpack.log"; exit 1; }
ls "$build/packages"/relais-connector-diagnostics_1.0.1_*.deb
