"""A process that imports Satchel once and then runs each `satchel` command in a forked
child, for the kill tests: a fresh interpreter per trial would spend most of each trial
starting up, and the SIGKILLs would land mostly in imports.

Each child is a real process running the real command line (`app.cli.main`) with its
own standard input, SATCHEL_HOME and no output; the test kills it with SIGKILL.

Protocol, one JSON object per line: the test writes {"argv": [...], "stdin": "...",
"home": "..."}; the server answers {"pid": N} at once and {"status": S} when the child
has ended (S is os.waitstatus_to_exitcode: -9 for a SIGKILL).
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

# Everything the commands under test use, imported before the first fork.
import app.cli  # noqa: E402
import app.library  # noqa: E402,F401
import app.passphrases  # noqa: E402,F401
import app.trust  # noqa: E402,F401
import app.vault  # noqa: E402,F401
import content_packs.importer  # noqa: E402,F401
import sync.usb_export  # noqa: E402,F401


def child(argv: list[str], home: str, stdin_fd: int) -> None:
    os.dup2(stdin_fd, 0)
    os.close(stdin_fd)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    os.environ["SATCHEL_HOME"] = home
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    try:
        code = app.cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        code = 99
    os._exit(code or 0)


def main() -> None:
    for line in sys.stdin:
        req = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w)
            child(req["argv"], req["home"], r)
        os.close(r)
        os.write(w, req["stdin"].encode())
        os.close(w)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
