"""The public key a pack carries for its signer, for "Trust this signer..." and `pack inspect`.

`satchel pack build` writes the signer's public key into the signature's untrusted
comment, so a learner holding a pack from an unknown trainer can compare that key's
fingerprint with the one the trainer reads out, instead of needing the `.pub` file too.

Guarantees:
- Only the signature and the manifest are read, each within its cap (the archive's size
  is checked first, content_packs.verify.open_archive); the manifest is never parsed.
- A key is returned only if its key id is the signature's and the signature verifies over
  the manifest's bytes with it: what the learner is asked to trust is the key that really
  signed this pack. Whether the pack is otherwise valid is judged on import, as always.
- Nothing is written and nothing is logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from content_packs.build import SIGNER_COMMENT
from content_packs.errors import PackError
from content_packs.limits import DEFAULT_LIMITS, MANIFEST_NAME, SIGNATURE_NAME, Limits
from content_packs.verify import open_archive, read_raw
from crypto import minisign
from crypto.minisign import MinisignError, PublicKey

_MARKER = "untrusted comment: " + SIGNER_COMMENT


def embedded_signer(source: Path | BinaryIO, limits: Limits = DEFAULT_LIMITS) -> PublicKey | None:
    """The signer's public key carried by the pack, if it really signed the pack; else None."""
    try:
        archive, f, owns, _ = open_archive(source, limits)
    except PackError:
        return None
    try:
        sig_bytes = read_raw(archive, SIGNATURE_NAME, limits.signature_bytes, "signature")
        manifest = read_raw(archive, MANIFEST_NAME, limits.manifest_bytes, "manifest")
    except PackError:
        return None
    finally:
        archive.close()
        if owns:
            f.close()
    if not sig_bytes or manifest is None:
        return None
    first = sig_bytes.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith(_MARKER):
        return None
    try:
        key = PublicKey.from_text(first[len(_MARKER):].strip())
        sig = minisign.parse_signature(sig_bytes)
        if sig.key_id != key.key_id:
            return None
        minisign.verify(key, manifest, sig)
    except MinisignError:
        return None
    return key
