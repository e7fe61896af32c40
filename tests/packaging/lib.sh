# Shared by the packaging tests: checks that count, a closing tally, the packages' paths.
# Sourced by bash scripts run with `set -euo pipefail`.

passed=0
failed=0

# check DESCRIPTION COMMAND...: runs the command, reports and counts the outcome.
check() {
    local what="$1"
    shift
    if "$@"; then
        echo "ok - $what"
        passed=$((passed + 1))
    else
        echo "not ok - $what"
        failed=$((failed + 1))
    fi
}

# equals DESCRIPTION EXPECTED ACTUAL
equals() {
    if [ "$2" = "$3" ]; then
        echo "ok - $1"
        passed=$((passed + 1))
    else
        echo "not ok - $1: expected '$2', found '$3'"
        failed=$((failed + 1))
    fi
}

tally() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# The one .deb of a package in a directory, by its Debian version or the only one.
deb_of() {
    local dir="$1" package="$2" version="${3:-*}"
    local found
    # shellcheck disable=SC2206  # the version may be the glob *
    found=("$dir/${package}_"$version"_"*.deb)
    [ -e "${found[0]}" ] || { echo "no $package ${version} package in $dir" >&2; return 1; }
    echo "${found[0]}"
}
