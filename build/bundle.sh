#!/bin/sh
# `make bundle`: Satchel's self-contained app for Linux x86-64, reproducibly.
#
#   build/bundle.sh [KEY]      KEY: a minisign secret key that signs SHA256SUMS
#
# Writes, and nothing else:
#   dist/satchel/                               the onedir bundle (run dist/satchel/satchel)
#   dist/satchel-VERSION-linux-x86_64.tar.gz    the same, as one archive
#   dist/SHA256SUMS                             the archive's SHA-256 (and SHA256SUMS.minisig with KEY)
# Work files stay in build/out/ (ignored by git). The starter packs are built here, signed
# at the commit's time; the fonts come from dist/fonts (`make fonts`).
#
# Reproducible: SOURCE_DATE_EPOCH is the commit's time, PYTHONHASHSEED is 0, inputs are
# sorted, every file's time is set to SOURCE_DATE_EPOCH, and the archive has sorted names,
# no owners and a gzip header without name or time. build/reproducible.sh builds twice
# and compares.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
key=${1:-}
out=${SATCHEL_BUILD_OUT:-build/out}       # work files (build/reproducible.sh uses two)
dist=${SATCHEL_DIST:-dist}                # the results

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
PYTHONHASHSEED=0
TZ=UTC
LC_ALL=C.UTF-8
export SOURCE_DATE_EPOCH PYTHONHASHSEED TZ LC_ALL
version=$("$BIN/python" -c "import app; print(app.__version__)")
name="satchel-$version-linux-x86_64"

[ -f dist/fonts/NotoSans-Regular.ttf ] || { echo "The fonts are missing from dist/fonts: run make fonts (make bundle does)." >&2; exit 1; }

rm -rf "$out/starter" "$out/work" "$out/dist"
mkdir -p "$out/starter"
"$BIN/python" -m content_packs.starter --out "$out/starter" >/dev/null

SATCHEL_STARTER_DIR="$PWD/$out/starter" "$BIN/pyinstaller" --noconfirm --clean --log-level WARN \
    --workpath "$out/work" --distpath "$out/dist" build/satchel.spec

# Beside the executable: what a desktop needs to list Satchel (see docs/install.md).
bundle="$out/dist/satchel"
cp build/satchel.desktop "$bundle/satchel.desktop"
mkdir -p "$bundle/icons"
for png in ui/icons/satchel-*.png; do
    size=${png##*-}; size=${size%.png}
    mkdir -p "$bundle/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$bundle/icons/hicolor/${size}x${size}/apps/satchel.png"
done
mkdir -p "$bundle/icons/hicolor/scalable/apps"
cp ui/icons/satchel.svg "$bundle/icons/hicolor/scalable/apps/satchel.svg"

# Fixed times and modes: the same tree on every build.
find "$bundle" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
find "$bundle" -type d -exec chmod 0755 {} +
find "$bundle" -type f -exec chmod u+rw,go+r,go-w {} +

mkdir -p "$dist"
rm -rf "$dist/satchel" "$dist/$name.tar.gz" "$dist/SHA256SUMS" "$dist/SHA256SUMS.minisig"
cp -a "$bundle" "$dist/satchel"
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --transform "s,^satchel,satchel-$version," -C "$out/dist" -cf - satchel | gzip -9 -n > "$dist/$name.tar.gz"
(cd "$dist" && sha256sum "$name.tar.gz" > SHA256SUMS)

if [ -n "$key" ]; then
    "$BIN/python" build/sign_sums.py "$dist/SHA256SUMS" "$key"
fi

unpacked=$(du -s --apparent-size -B1 "$dist/satchel" | cut -f1)
packed=$(stat -c %s "$dist/$name.tar.gz")
echo "Built $dist/satchel ($(( unpacked / 1000000 )) MB unpacked) and $dist/$name.tar.gz ($(( packed / 1000000 )) MB)."
