#!/bin/sh
# Install (as root, with apt-get) or name (otherwise) the system packages that Satchel
# needs for the given purposes: run, test, bundle. The list is build/system-packages.
#   build/sysdeps.sh run            check and install what `make run` needs
#   build/sysdeps.sh --list test    print the packages, one per line
# Exits 0 when every package is installed, 1 with one sentence naming the command to run
# when it cannot install them itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list_only=0
if [ "${1:-}" = "--list" ]; then list_only=1; shift; fi
[ "$#" -gt 0 ] || { echo "usage: build/sysdeps.sh [--list] run|test|bundle..." >&2; exit 2; }

wanted=""
for purpose in "$@"; do
    case "$purpose" in run|test|bundle) ;; *) echo "sysdeps: unknown purpose '$purpose'." >&2; exit 2;; esac
    wanted="$wanted $(awk -v p="$purpose" '!/^#/ && NF >= 2 { n = split($2, g, ","); for (i = 1; i <= n; i++) if (g[i] == p) print $1 }' "$here/system-packages")"
done
wanted=$(printf '%s\n' $wanted | sort -u)

if [ "$list_only" = 1 ]; then printf '%s\n' $wanted; exit 0; fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "Satchel's automatic set-up supports Debian and Ubuntu; on this system install the equivalents of: $(echo $wanted)." >&2
    exit 1
fi
missing=""
for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    if apt-get install -y -qq --no-install-recommends $missing >/dev/null; then exit 0; fi
    echo "Satchel could not install these system packages:$missing; run 'apt-get install$missing' and try again." >&2
    exit 1
fi
echo "Satchel needs these system packages:$missing. Install them with: sudo apt-get install$missing" >&2
exit 1
