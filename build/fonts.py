"""Copy the fonts Satchel ships into OUT_DIR (default dist/fonts), checked file by file.

    python3 build/fonts.py [OUT_DIR]

The source is Debian's fonts-noto-core (a package of build/system-packages); nothing is
downloaded. Every file must match its SHA-256 in build/fonts.sha256, so a changed Debian
package stops the build with one sentence, to be reviewed rather than shipped unseen.
The package's licence (SIL Open Font License 1.1) is copied beside the fonts.

One change is made, and it is the same on every build: Noto Sans Thaana (this version)
has no GSUB table, and Qt refuses any font without a GSUB entry for Thaana, one of the
scripts it treats as needing OpenType ("OpenType support missing"): Dhivehi would show
as boxes. The copy gets a minimal GSUB table that names the Thaana script with no
features (Thaana needs no substitutions; its marks are placed by the GPOS table the font
has), and loses its DSIG table, whose signature no longer matches. The Noto fonts carry
no Reserved Font Name, so the OFL allows a modified copy under the same name.

Standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = Path(os.environ.get("SATCHEL_FONT_SOURCE", "/usr/share/fonts/truetype/noto"))
LICENCE = Path("/usr/share/doc/fonts-noto-core/copyright")
NEEDS_GSUB = {"NotoSansThaana-Regular.ttf": b"thaa", "NotoSansThaana-Bold.ttf": b"thaa"}


def font_list(path: Path = HERE / "fonts.sha256") -> list[tuple[str, str]]:
    """(sha256, file name) for every font Satchel ships, in loading order."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            rows.append((digest, name))
    return rows


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def empty_gsub(script: bytes) -> bytes:
    """A GSUB table naming `script` (default language system, no features, no lookups)."""
    lang_sys = struct.pack(">HHH", 0, 0xFFFF, 0)
    script_table = struct.pack(">HH", 4, 0) + lang_sys
    script_list = struct.pack(">H4sH", 1, script, 8) + script_table
    feature_list = struct.pack(">H", 0)
    lookup_list = struct.pack(">H", 0)
    header_size = 10
    return struct.pack(">HHHHH", 1, 0, header_size, header_size + len(script_list),
                       header_size + len(script_list) + len(feature_list)) + script_list + feature_list + lookup_list


def with_tables(font: bytes, add: dict[bytes, bytes], drop: set[bytes]) -> bytes:
    """The font rebuilt with tables added or dropped, checksums and head adjusted."""
    version, count = struct.unpack(">IH", font[:6])
    tables: dict[bytes, bytes] = {}
    for i in range(count):
        tag, _sum, offset, length = struct.unpack(">4sIII", font[12 + 16 * i: 28 + 16 * i])
        tables[tag] = font[offset: offset + length]
    if b"head" not in tables:
        raise ValueError("not a TrueType font")
    for tag in drop:
        tables.pop(tag, None)
    tables.update(add)
    head = bytearray(tables[b"head"])
    head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, recomputed below
    tables[b"head"] = bytes(head)
    tags = sorted(tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    out = bytearray(struct.pack(">IHHHH", version, n, power * 16, power.bit_length() - 1, n * 16 - power * 16))
    offset = 12 + 16 * n
    body = bytearray()
    for tag in tags:
        data = tables[tag]
        out += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font_bytes = bytearray(out + body)
    head_at = 12 + 16 * n + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    adjustment = (0xB1B0AFBA - _checksum(bytes(font_bytes))) & 0xFFFFFFFF
    font_bytes[head_at + 8: head_at + 12] = struct.pack(">I", adjustment)
    return bytes(font_bytes)


def shipped_bytes(name: str, data: bytes) -> bytes:
    script = NEEDS_GSUB.get(name)
    if script is None:
        return data
    return with_tables(data, {b"GSUB": empty_gsub(script)}, {b"DSIG"})


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "dist/fonts")
    rows = font_list()
    bad = []
    for digest, name in rows:
        try:
            ok = hashlib.sha256((SOURCE / name).read_bytes()).hexdigest() == digest
        except OSError:
            ok = False
        if not ok:
            bad.append(name)
    if bad:
        sys.stderr.write(
            f"The fonts in {SOURCE} are missing or differ from build/fonts.sha256 ({', '.join(bad[:3])}"
            f"{', ...' if len(bad) > 3 else ''}): install fonts-noto-core (build/sysdeps.sh run); if Debian "
            "changed the package, review its new files and update build/fonts.sha256.\n")
        return 1
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for _digest, name in rows:
        (partial / name).write_bytes(shipped_bytes(name, (SOURCE / name).read_bytes()))
    if LICENCE.is_file():
        (partial / "LICENSE").write_bytes(LICENCE.read_bytes())
    for p in partial.iterdir():
        p.chmod(0o644)
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
