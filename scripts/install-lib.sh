# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154,SC2034  # script_name, fail: the sourcing script's
# Shared by scripts/test-install.sh and scripts/test-deb.sh (sourced, not
# run): the steps both take with a throwaway member once sbx is installed.
# The sourcing script sets `script_name` (its name in messages) and `fail=0`.

say() { echo "$script_name: $*"; }
bad() { echo "$script_name: FAIL: $*" >&2; fail=1; }

# make_member USER HOME: a throwaway user whose 0700 home holds a workspace.
make_member() {
  useradd --no-create-home --home-dir "$2" --shell /bin/sh "$1"
  mkdir -p "$2/ws"
  chown -R "$1:" "$2"
  chmod 0700 "$2"
}

# expect_member_account WHO USER PATTERN: WHO (what `id -un` said inside
# an elevated run of USER's) is USER's own sbx-managed offline account,
# its name matching the glob PATTERN.
expect_member_account() {
  # shellcheck disable=SC2053 # PATTERN is a glob on purpose
  { [ -n "$1" ] && [ "$1" != "$2" ] && [[ "$1" == $3 ]] &&
    getent passwd "$1" | grep -q sbx-managed; } ||
    bad "the elevated run ran as '$1', not $2's own sbx-managed offline account"
}

# same_machine BEFORE AFTER WHEN: the two snapshots are equal, or the
# difference is shown and the test fails.
same_machine() {
  if [ "$1" != "$2" ]; then
    bad "the machine differs after $3:"
    diff <(echo "$1") <(echo "$2") >&2 || true
  fi
}
