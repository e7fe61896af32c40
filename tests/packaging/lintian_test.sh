#!/usr/bin/env bash
# lintian on every package of BUILD_DIR/packages. Prints each package's verdict (its tags, the
# overridden ones counted); fails on an error or a warning that no override justifies.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
packages="${1:?usage: lintian_test.sh BUILD_DIR}/packages"

shopt -s nullglob
debs=("$packages"/*.deb)
check "packages were built" test ${#debs[@]} -gt 0
for deb in "${debs[@]}"; do
    name="$(basename "$deb")"
    # --fail-on none: the verdict is ours to give, from the tags printed.
    out="$(lintian --fail-on none --display-info --show-overrides "$deb" 2>&1)" || true
    errors=$(grep -c '^E: ' <<<"$out" || true)
    warnings=$(grep -c '^W: ' <<<"$out" || true)
    infos=$(grep -c '^I: ' <<<"$out" || true)
    overridden=$(grep -c '^O: ' <<<"$out" || true)
    echo "lintian $name: $errors errors, $warnings warnings, $infos notes, $overridden overridden"
    [ -z "$out" ] || sed 's/^/    /' <<<"$out"
    check "lintian: $name has no error and no warning left" test "$errors" -eq 0 -a "$warnings" -eq 0
done
tally
