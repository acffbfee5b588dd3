"""One lookup for every shipped resource, from a checkout and from the frozen bundle
(app/resources.py); the starter packs build the same bytes twice from one commit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app import resources
from support import ROOT


def test_from_a_checkout_resources_sit_in_the_source_tree_and_dist() -> None:
    assert not resources.is_frozen()
    assert resources.resource_path("ui", "i18n") == ROOT / "ui" / "i18n"
    assert resources.resource_path("app", "roots") == ROOT / "app" / "roots"
    assert resources.resource_path("starter") == ROOT / "dist" / "starter"
    assert resources.resource_path("fonts", "NotoSans-Regular.ttf") == ROOT / "dist" / "fonts" / "NotoSans-Regular.ttf"
    assert resources.self_command() == [sys.executable, "-m", "app.cli"]
    with pytest.raises(ValueError):
        resources.resource_path()


def test_every_lookup_goes_through_the_one_function() -> None:
    from app import trust
    from content_packs import starter
    from ui import fonts, i18n

    assert i18n.resource_dir() == resources.resource_path("ui", "i18n")
    assert starter.resource_dir("starter") == resources.resource_path("starter")
    assert trust.ROOTS_DIR == resources.resource_path("app", "roots")
    assert fonts.font_dir() == resources.resource_path("fonts")
    # no module keeps a lookup of its own
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("content_packs/*.py"),
                 *ROOT.glob("sync/*.py")]:
        if path.name != "resources.py":
            assert "_MEIPASS" not in path.read_text(encoding="utf-8"), path


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bundle = tmp_path / "_internal"
    bundle.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return bundle


def test_inside_the_bundle_everything_is_under_its_own_folder(frozen: Path) -> None:
    assert resources.is_frozen()
    assert resources.resource_path("ui", "i18n") == frozen / "ui" / "i18n"
    assert resources.resource_path("starter") == frozen / "starter"
    assert resources.resource_path("fonts") == frozen / "fonts"
    assert resources.self_command() == [sys.executable]


def test_a_helper_program_from_the_bundle_first_then_path(frozen: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / "tor").write_text("#!/bin/sh\n")
    (on_path / "tor").chmod(0o755)
    monkeypatch.setenv("PATH", str(on_path))
    assert resources.bundled_executable("tor") == on_path / "tor"
    (frozen / "tor").mkdir()
    (frozen / "tor" / "tor").write_text("#!/bin/sh\n")
    (frozen / "tor" / "tor").chmod(0o755)
    assert resources.bundled_executable("tor") == frozen / "tor" / "tor"
    assert resources.bundled_executable("no-such-program-here") is None


def test_system_programs_get_the_users_library_path_back(frozen: Path) -> None:
    env = {"LD_LIBRARY_PATH": str(frozen), "LD_LIBRARY_PATH_ORIG": "/opt/lib", "HOME": "/h"}
    assert resources.system_env(env) == {"LD_LIBRARY_PATH": "/opt/lib", "HOME": "/h"}
    assert resources.system_env({"LD_LIBRARY_PATH": str(frozen)}) == {}


def test_outside_the_bundle_the_environment_is_left_alone() -> None:
    env = {"LD_LIBRARY_PATH": "/x", "LD_LIBRARY_PATH_ORIG": "/y"}
    assert resources.system_env(env) == env


def test_starter_packs_are_reproducible_with_source_date_epoch(tmp_path: Path) -> None:
    import subprocess

    outs = []
    for n in (1, 2):
        out = tmp_path / f"s{n}"
        subprocess.run([sys.executable, "-m", "content_packs.starter", "--out", str(out)], check=True,
                       capture_output=True, cwd=str(ROOT), env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1] and len(outs[0]) >= 2
    assert all(b"time=1700000000" in data for data in outs[0].values())


def test_a_bundle_without_built_packs_has_no_starter_packs(frozen: Path) -> None:
    from content_packs import starter

    original = starter.DEFAULT_DIR
    try:
        starter.DEFAULT_DIR = frozen / "nothing-here"  # the bundle ships no pack sources
        assert starter.starter_packs() == []
    finally:
        starter.DEFAULT_DIR = original
