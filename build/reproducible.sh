#!/bin/sh
# Build the bundle twice from this commit, in two separate work folders, and compare
# every file (`make reproducible`). Prints the files that differ; exit 0 only if none.
#
# Both builds take the same SOURCE_DATE_EPOCH (the commit's time) and PYTHONHASHSEED=0
# from build/bundle.sh; anything that still differs is a leak of the build's time,
# place or randomness into the release.
set -eu
cd "$(dirname "$0")/.."
base=build/out/reproducible
rm -rf "$base"
for n in 1 2; do
    SATCHEL_BUILD_OUT="$base/work$n" SATCHEL_DIST="$base/dist$n" build/bundle.sh >/dev/null
done
if diff -r -q "$base/dist1" "$base/dist2"; then
    echo "Reproducible: both builds gave the same $(find "$base/dist1" -type f | wc -l) files; $(cat "$base/dist1/SHA256SUMS")"
    exit 0
fi
echo "Not reproducible: the files above differ between two builds of one commit." >&2
exit 1
