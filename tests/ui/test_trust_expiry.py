"""A trust list past its expiry stays in force (content keeps importing), and the library
says so in words, so that a defender kept on an old list (withheld revocations) knows to
look for a newer one."""

from __future__ import annotations

import json
from typing import Any

from uihelp import wait_idle

from app.trust import TrustStore, trust_list_comment
from crypto import minisign


def signed_list(root: minisign.SecretKey, expires: str) -> tuple[bytes, bytes]:
    doc = {"type": "satchel-trust-list", "version": 7, "roots": [root.public.to_base64()],
           "keys": [{"name": "Publisher", "public_key": root.public.to_base64(), "scopes": ["org.pub."]}],
           "expires": expires}
    data = json.dumps(doc).encode()
    return data, minisign.sign(root, data, trust_list_comment(7)).encode()


def test_the_library_says_when_the_trust_list_has_expired(unlocked: Any, qtbot: Any) -> None:
    w = unlocked
    wait_idle(qtbot, w)
    lib = w.view.library
    assert not lib.trust_notice.isVisible() and lib.trust_notice.text() == ""
    root = minisign.generate_key()
    with w.session.vault.lock:  # as an import carrying this list would have adopted it
        assert TrustStore(w.session.vault, roots=(root.public,)).adopt_list(*signed_list(root, "2020-01-01"))
    lib.refresh()
    qtbot.waitUntil(lambda: lib.trust_notice.isVisible(), timeout=10000)
    assert "2020-01-01" in lib.trust_notice.text()
    assert "expired" in lib.trust_notice.text()
