"""Shared fixtures: real vaults in tmp_path, the real `satchel` command, real signing keys
and real packs. Nothing here is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
for _p in (TESTS.parent, TESTS):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from app.vault import Vault  # noqa: E402
from support import FAST_MS, ROOT, KeyPair, is_root, make_keypair  # noqa: E402


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def vault(home: Path) -> Iterator[Vault]:
    v = Vault.create(home, "correct horse", iter_time_ms=FAST_MS)
    yield v
    v.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(home: Path) -> Callable[..., CliResult]:
    """Run the real `satchel` command in a subprocess with its home in tmp_path."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 120,
            home_dir: Path | None = None) -> CliResult:
        full_env = dict(os.environ)
        full_env["SATCHEL_HOME"] = str(home_dir or home)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-m", "app.cli", *args], input=stdin, capture_output=True, text=True,
            env=full_env, timeout=timeout, cwd=str(ROOT),
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def trainer(tmp_path: Path) -> KeyPair:
    return make_keypair(tmp_path / "keys", "trainer")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real, small filesystem (tmpfs of 2 MiB) to run out of space on."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if not is_root():
        pytest.fail("this test mounts a tmpfs and must run as root (CI does)")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def readonly_dir(tmp_path: Path) -> Iterator[Path]:
    """A real read-only folder (a read-only tmpfs mount; root ignores mode bits)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if not is_root():
        mnt.chmod(0o500)
        yield mnt
        mnt.chmod(0o700)
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture(scope="session")
def bundle_dir() -> Path:
    """dist/satchel, the self-contained app, built by `make bundle` once per session when
    it is missing or older than its sources (make decides; an up-to-date bundle is not
    rebuilt, so `make test` followed by `make bundle` builds it once). Where it cannot be
    built (no PyInstaller in the venv, no objdump) the test is skipped, which CI counts as
    a failure."""
    import shutil

    if not (ROOT / ".venv" / "bin" / "pyinstaller").exists() or shutil.which("objdump") is None:
        pytest.skip("the bundle cannot be built here: PyInstaller (make venv) and objdump (binutils) are needed")
    proc = subprocess.run(["make", "-s", "bundle"], cwd=str(ROOT), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"make bundle failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    exe = ROOT / "dist" / "satchel" / "satchel"
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe.parent


@pytest.fixture(scope="session")
def tor_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One private Tor network per session, shared by the sync and the dialog tests
    (tests/sync/torenv.py: 3 authorities, 3 relays, two onion services in front of nginx
    and a hostile server, one client); torn down at the end of the session."""
    import shutil

    sys.path.insert(0, str(TESTS / "sync"))
    from torenv import start_env

    for tool in ("tor", "tor-gencert", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            pytest.fail(f"the Tor sync tests need {tool} (build/system-packages installs it)")
    env = start_env(tmp_path_factory.mktemp("tornet"))
    yield env
    env.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI every check must run: a test skipped for a missing tool counts as failed
    (.ci/run installs minisign, libsodium, dbus, fusefat, dosfstools and xvfb)."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every check must run: {report.longrepr}"
