"""The real `satchel share` and `satchel repo add LINE` commands: a trainer shares from
one terminal, a participant adds the line and syncs with `satchel sync`, the trainer
sees what was fetched and stops the share from a second terminal. Bad input is one
sentence and changes nothing."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sharehelp import Trainer, listening_sockets, trainer_home
from support import ROOT, assert_one_sentence, make_keypair, vault_snapshot
from test_tor_sync import installed
from torenv import PASSPHRASE, TorEnv, new_learner, run_cli

from app.vault import Vault
from crypto import minisign
from sync.follow import list_repositories
from sync.shareline import ShareLine, new_client_key

STDIN = PASSPHRASE + "\n"
ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"


@pytest.fixture(scope="module")
def trainer(tmp_path_factory: pytest.TempPathFactory) -> Trainer:
    folder = tmp_path_factory.mktemp("share-cli")
    return trainer_home(folder, make_keypair(folder / "keys", "trainer"), {"org.example.cli-one": 0,
                                                                         "org.example.cli-two": 200_000})


def snapshot(home: Path) -> object:
    with Vault.unlock(home, PASSPHRASE) as vault:
        return vault_snapshot(vault)


# -- the participant's side: repo add LINE --------------------------------------------

def test_a_share_line_naming_an_untrusted_key_is_refused_with_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home)
    key = minisign.generate_key().public
    line = ShareLine(ONION, new_client_key(), key).text
    before = snapshot(home)
    done = run_cli("repo", "add", line, home=home, stdin=STDIN + "n\n")
    assert done.returncode == 1
    assert key.fingerprint() in done.stdout                        # shown to compare, group by group
    sentence = done.stderr.strip()
    assert_one_sentence(sentence)
    assert "which you do not trust" in sentence and "answer yes" in sentence
    assert snapshot(home) == before                                # nothing trusted, nothing followed


def test_a_trusted_share_line_is_followed_with_its_key_and_signer(tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home)
    secret = minisign.generate_key()
    line = ShareLine(ONION, new_client_key(), secret.public)
    done = run_cli("repo", "add", line.text, "--name", "Amina", home=home, stdin=STDIN + "y\n")
    assert done.returncode == 0, done.stderr
    with Vault.unlock(home, PASSPHRASE) as vault:
        (repo,) = list_repositories(vault)
        assert str(repo.url) == f"http://{ONION}.onion/"
        assert repo.client_key == line.client_key_b64 and repo.signer == secret.public.key_id_hex
        from app.trust import TrustStore

        grant = TrustStore(vault).grant_for(secret.public.key_id_hex)
        assert grant is not None and grant.name == "Amina" and grant.source == "manual"
    listed = run_cli("repo", "list", home=home, stdin=STDIN)
    assert f"a trainer's share signed by {secret.public.key_id_hex}" in listed.stdout
    # Again, now trusted: no question; and asked for without echo, off the command line.
    again = run_cli("repo", "add", home=home, stdin=line.text.lower() + "\n" + STDIN)
    assert again.returncode == 0 and "Already following" in again.stdout


@pytest.mark.parametrize("text, words", [
    ("SATCHEL-SHARE:1:AAAA", "incomplete"),
    ("SATCHEL-SHARE:7:AAAA", "newer Satchel"),
])
def test_a_malformed_share_line_is_one_sentence_before_any_passphrase(tmp_path: Path, text: str, words: str) -> None:
    home = tmp_path / "home"
    new_learner(home)
    before = snapshot(home)
    done = run_cli("repo", "add", text, home=home, stdin="")
    assert done.returncode == 1 and words in done.stderr
    assert_one_sentence(done.stderr.strip())
    assert snapshot(home) == before


def test_a_mistyped_share_line_is_caught(tmp_path: Path) -> None:
    home = tmp_path / "home"
    new_learner(home)
    text = ShareLine(ONION, new_client_key(), minisign.generate_key().public).text
    typo = text[:30] + ("B" if text[30] != "B" else "C") + text[31:]
    done = run_cli("repo", "add", typo, home=home, stdin=STDIN)
    assert done.returncode == 1 and "typing mistake" in done.stderr


# -- the trainer's side: refusals ---------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--until", "tomorrow"], "YYYY-MM-DD"),
    (["--until", "2001-01-01"], "already past"),
    (["--until", "2999-01-01"], "at most 366 days"),
    (["--control", "192.0.2.1:9051"], "only on this computer"),
    (["--control", "9051", "--bridge", "obfs4 1.2.3.4:5 x"], "cannot be combined"),
])
def test_share_start_refuses_bad_options_before_any_passphrase(trainer: Trainer, tmp_path: Path, args: list[str],
                                                               words: str) -> None:
    done = run_cli("share", "start", "--key", str(trainer.key.key_path), *args, home=trainer.home, stdin="")
    assert done.returncode in (1, 2) and words in done.stderr
    assert_one_sentence(done.stderr.strip().removeprefix("satchel: "))


def test_share_start_with_an_unknown_pack_or_nothing_signed(trainer: Trainer, tmp_path: Path) -> None:
    done = run_cli("share", "start", "org.example.nope", "--key", str(trainer.key.key_path), "--control", "1",
                   home=trainer.home, stdin=STDIN)
    assert done.returncode == 1 and "no pack org.example.nope" in done.stderr and "nothing was shared" in done.stderr
    other = make_keypair(tmp_path / "keys", "other")
    done = run_cli("share", "start", "--key", str(other.key_path), "--control", "1", home=trainer.home, stdin=STDIN)
    assert done.returncode == 1 and f"signed by key {other.public.key_id_hex}" in done.stderr


def test_stop_status_and_revoke_with_no_share(trainer: Trainer) -> None:
    done = run_cli("share", "stop", home=trainer.home, stdin=STDIN)
    assert done.returncode == 1 and "No share is running" in done.stdout
    done = run_cli("share", "status", home=trainer.home, stdin=STDIN)
    assert done.returncode == 0 and "No share is running" in done.stdout
    done = run_cli("share", "revoke", "--yes", home=trainer.home, stdin=STDIN)
    assert done.returncode == 1 and "no persistent share" in done.stdout


# -- end to end over the private Tor network ---------------------------------------------

def tor_wrapper(env: TorEnv, folder: Path) -> Path:
    """A 'tor program' for --tor: the real tor, told on its command line to join the
    private test network (what a user's --tor PATH would be for a real one)."""
    from tornet import TOR

    args: list[str] = []
    for name, values in env.net.client_options().items():
        for value in values:
            args += [name, value]
    script = folder / "tor-testnet"
    script.write_text("#!/bin/sh\nexec " + shlex.join([TOR]) + ' "$@" ' + shlex.join(args) + "\n")
    script.chmod(0o700)
    return script


@pytest.mark.tor
def test_share_from_one_terminal_follow_and_sync_then_stop_from_another(
        tor_env: TorEnv, trainer: Trainer, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "trainer"
    shutil.copytree(trainer.home, home)
    tor = tor_wrapper(tor_env, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "share", "start", "--key", str(trainer.key.key_path),
                             "--tor", str(tor)], cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, SATCHEL_HOME=str(home)))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(STDIN)
    proc.stdin.close()
    try:
        shown = []
        for text in proc.stdout:
            shown.append(text)
            if text.startswith("SATCHEL-SHARE:"):
                break
        line = shown[-1].strip()
        assert line.startswith("SATCHEL-SHARE:1:"), "".join(shown) + proc.stderr.read()
        assert shown[0].startswith("Sharing 2 pack(s) over Tor")
        assert all(address == "127.0.0.1" for address, _ in listening_sockets(proc.pid))

        learner = tmp_path / "learner"
        new_learner(learner)
        # This running share's own line, mistyped, cut short, or its key not trusted:
        # one sentence each, and the participant's vault stays exactly as it was.
        before = snapshot(learner)
        typo = line[:80] + ("B" if line[80] != "B" else "C") + line[81:]
        for bad, words in ((typo, "typing mistake"), (line[:120], "incomplete")):
            refused = run_cli("repo", "add", bad, home=learner, stdin=STDIN)
            assert refused.returncode == 1 and words in refused.stderr, refused.stderr
            assert_one_sentence(refused.stderr.strip())
        untrusted = run_cli("repo", "add", line, home=learner, stdin=STDIN + "n\n")
        assert untrusted.returncode == 1 and "which you do not trust" in untrusted.stderr
        assert_one_sentence(untrusted.stderr.strip())
        assert snapshot(learner) == before
        added = run_cli("repo", "add", line, "--yes", home=learner, stdin=STDIN)
        assert added.returncode == 0, added.stderr
        synced = run_cli("sync", "--tor", str(tor), home=learner, stdin=STDIN)
        assert synced.returncode == 0, synced.stderr
        assert installed(learner) == {"org.example.cli-one": 1, "org.example.cli-two": 1}

        time.sleep(6)                                  # one heartbeat: the status row has the counts
        status = run_cli("share", "status", home=home, stdin=STDIN)
        assert status.returncode == 0 and "Sharing since" in status.stdout
        assert "org.example.cli-two: 1" in status.stdout and line not in status.stdout
        second = run_cli("share", "start", "--key", str(trainer.key.key_path), "--tor", str(tor), home=home,
                         stdin=STDIN)
        assert second.returncode == 1 and "already running" in second.stderr

        stopped = run_cli("share", "stop", home=home, stdin=STDIN)
        assert stopped.returncode == 0 and "The share stopped." in stopped.stdout
        assert proc.wait(30) == 0
        rest = proc.stdout.read()
        assert "The share stopped ('satchel share stop')." in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    status = run_cli("share", "status", home=home, stdin=STDIN)
    assert "No share is running" in status.stdout


@pytest.mark.tor
def test_ctrl_c_stops_a_share_cleanly(tor_env: TorEnv, trainer: Trainer, tmp_path: Path) -> None:
    import shutil

    home = tmp_path / "trainer"
    shutil.copytree(trainer.home, home)
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "share", "start", "org.example.cli-one", "--key",
                             str(trainer.key.key_path), "--tor", str(tor_wrapper(tor_env, tmp_path)), "--persistent"],
                            cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, SATCHEL_HOME=str(home)))
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(STDIN)
    proc.stdin.close()
    try:
        for text in proc.stdout:
            if text.startswith("SATCHEL-SHARE:"):
                break
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        assert "The share stopped." in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    revoked = run_cli("share", "revoke", home=home, stdin=STDIN + "y\n")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
