"""`satchel pack build`: from a validated source folder to one signed `.satchel` file.

The ZIP is deterministic: members in a fixed order (manifest, signature, then files by
path), fixed timestamps and permissions, text deflated and media stored. The same folder
and key give the same bytes apart from the signature's timestamp. The file is written
under a temporary name beside the target and renamed only when complete.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import time
import zipfile
from pathlib import Path
from typing import BinaryIO

from content_packs.limits import DEFAULT_LIMITS, MANIFEST_NAME, MEDIA_TYPES, SIGNATURE_NAME, Limits
from content_packs.manifest import Manifest, trusted_comment
from content_packs.source import PackSource, load_source
from crypto import minisign
from crypto.minisign import SecretKey
from crypto.secure import fsync_dir

_EPOCH = (1980, 1, 1, 0, 0, 0)
# The signature's untrusted comment carries the signer's public key, so `pack inspect` can
# check a pack's integrity without a vault (it proves who signed, not that they are trusted).
SIGNER_COMMENT = "satchel pack signed by public key "


def _info(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = compress
    info.external_attr = (0o100644 & 0xFFFF) << 16
    info.create_system = 3
    return info


def manifest_for(src: PackSource, key: SecretKey) -> Manifest:
    return Manifest(
        id=src.id, version=src.version, title=src.title, language=src.language, kind=src.kind,
        signer=key.public.key_id_hex, chapters=tuple(src.chapters), files=tuple(src.file_entries()),
        licence=src.licence, attribution=src.attribution, translation=src.translation,
        translated_from=src.translated_from, uses=tuple(src.uses), shared_media=tuple(src.shared_entries()),
        bridges=tuple(src.bridges),
    )


def _write_zip(f: BinaryIO, src: PackSource, key: SecretKey, timestamp: int | None) -> Manifest:
    manifest = manifest_for(src, key)
    manifest_bytes = manifest.to_bytes()
    signature = minisign.sign(
        key, manifest_bytes, trusted_comment(src.id, src.version, int(timestamp or time.time())),
        untrusted_comment=f"{SIGNER_COMMENT}{key.public.to_base64()}",
    )
    with zipfile.ZipFile(f, "w", allowZip64=True) as archive:
        archive.writestr(_info(MANIFEST_NAME, zipfile.ZIP_DEFLATED), manifest_bytes, compresslevel=9)
        archive.writestr(_info(SIGNATURE_NAME, zipfile.ZIP_STORED), signature.encode())
        for entry in manifest.files:
            stored = Path(entry.path).suffix.lower() in MEDIA_TYPES
            method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(_info(entry.path, method), src.files[entry.path], compresslevel=9)
    return manifest


def pack_bytes(src: PackSource, key: SecretKey, timestamp: int | None = None) -> bytes:
    """The signed pack in memory (the starter library is built this way when no file exists)."""
    buf = io.BytesIO()
    _write_zip(buf, src, key, timestamp)
    return buf.getvalue()


def write_pack(src: PackSource, key: SecretKey, out: Path, timestamp: int | None = None) -> Manifest:
    out = Path(out)
    tmp = out.parent / f".{out.name}.{secrets.token_hex(4)}.part"
    try:
        with open(tmp, "wb") as f:
            manifest = _write_zip(f, src, key, timestamp)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return manifest


def build_pack(src_dir: Path, key: SecretKey, out: Path, limits: Limits = DEFAULT_LIMITS,
               trust_list: Path | None = None, timestamp: int | None = None) -> Manifest:
    """Validate `src_dir`, then write the signed pack to `out`."""
    src = load_source(Path(src_dir), limits, trust_list=trust_list)
    return write_pack(src, key, out, timestamp)
