"""Sign a release's SHA256SUMS with a minisign secret key (`make bundle KEY=NAME.key`).

    .venv/bin/python build/sign_sums.py dist/SHA256SUMS NAME.key

Writes SHA256SUMS.minisig beside it: a prehashed minisign signature (the format of pack
signatures, crypto/minisign.py) that the standard tool checks with
`minisign -Vm SHA256SUMS -P <publisher's key>` (docs/install.md). The key may be
passphrase-protected: the passphrase is read as `satchel` reads it (no echo on a
terminal, else one line of standard input). Its trusted comment names the release and,
for a reproducible build, SOURCE_DATE_EPOCH instead of the signing time; Ed25519 is
deterministic, so the same key signs the same file into the same bytes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import __version__  # noqa: E402
from app.cli.io import read_secret_key  # noqa: E402
from app.errors import SatchelError  # noqa: E402
from crypto import minisign  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: build/sign_sums.py SHA256SUMS NAME.key\n")
        return 2
    sums, key_path = Path(argv[0]), Path(argv[1])
    try:
        key = read_secret_key(key_path)
        data = sums.read_bytes()
    except SatchelError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"Cannot read {sums}: {exc.strerror}.\n")
        return 1
    when = os.environ.get("SOURCE_DATE_EPOCH") or str(int(time.time()))
    comment = f"timestamp:{when} file:{sums.name} satchel {__version__}"
    signature = minisign.sign(key, data, comment,
                              untrusted_comment=f"signature from minisign secret key {key.public.key_id_hex}")
    target = sums.with_name(sums.name + ".minisig")
    target.write_text(signature, encoding="utf-8")
    sys.stdout.write(f"Signed {sums} with key {key.public.key_id_hex}: {target}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
